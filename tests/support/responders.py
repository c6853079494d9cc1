"""Responders that make the test server answer the drafting chain like a competent model.

``ChainModel`` reads what each request asks for (the structured-output schema's name: the
Findings of the extract step, a KindChoice, or a spec kind's model) and answers it from the
notes fenced in the prompt, using the offline drafter: so drafts are realistic, grounded, and
deterministic. Scripted tests wrap it to inject the faults they need; ``ScriptedSpecModel``
answers with a spec from a file, as a model that invents would.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.support.openai_server import Reply
from translator.drafting.offline import draft_offline
from translator.kinds import SPEC_KINDS
from translator.rubric import detect_kind
from translator.rubric.document import parse_document

_NOTES = re.compile(r"<notes>\n(.*?)\n</notes>", re.S)
_SCHEMA_TO_KIND = {model.__name__: kind for kind, model in SPEC_KINDS.items()}


def requested_schema(body: dict[str, Any]) -> str | None:
    """The name of the structured output a chat request asks for, whichever method it uses."""
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return response_format["json_schema"]["name"]
    if response_format.get("type") == "json_object" and isinstance(response_format.get("schema"), dict):
        return response_format["schema"].get("title")  # llama.cpp's form: a schema beside json_object
    for tool in body.get("tools") or []:
        return tool["function"]["name"]
    # JSON mode carries the schema in the prompt: find a JSON schema in a system message,
    # whatever the instruction around it says (prompts/json_mode.yaml is data and may change).
    for message in body.get("messages", []):
        content = message.get("content")
        if message.get("role") == "system" and isinstance(content, str):
            schema = _schema_in(content)
            if schema is not None:
                return schema
    return None


def _schema_in(text: str) -> str | None:
    """The title of the first JSON schema object embedded in ``text``, if there is one."""
    decoder = json.JSONDecoder()
    for start in (i for i, char in enumerate(text) if char == "{"):
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict) and "properties" in value and isinstance(value.get("title"), str):
            return value["title"]
    return None


def notes_in(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages", [])):
        match = _NOTES.search(str(message.get("content") or ""))
        if match:
            return match.group(1)
    return ""


class ChainModel:
    """Answers extract, classify, draft and repair requests from the notes in the prompt."""

    def __init__(self, tool_calls: bool = True) -> None:
        self.tool_calls = tool_calls

    def __call__(self, body: dict[str, Any]) -> Reply:
        return self.reply(body, self.answer(body))

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        schema = requested_schema(body)
        notes = notes_in(body)
        if schema == "Findings":
            return {
                "decisions": [],
                "claims": [line.strip("- ") for line in notes.splitlines() if line.strip()][:20],
                "metric_deltas": [],
                "identifiers": [],
                "constraints": [],
                "uncertainties": [],
            }
        if schema == "KindChoice":
            findings = str(body["messages"][-1]["content"])
            return {"kind": detect_kind(parse_document(findings)), "reason": "the findings match its signals"}
        if schema in _SCHEMA_TO_KIND:
            return draft_offline(notes, _SCHEMA_TO_KIND[schema]).model_dump(mode="json")
        raise ValueError(f"unexpected structured output {schema!r}")

    def reply(self, body: dict[str, Any], payload: dict[str, Any]) -> Reply:
        text = json.dumps(payload)
        return Reply(tool_call_arguments=text) if body.get("tools") else Reply(content=text)


def without(concern: str) -> Callable[[dict[str, Any], ChainModel], Reply]:
    """A fault for scripted tests: the answer with ``concern`` emptied and not asked about, as a
    sloppy model gives."""

    def fault(body: dict[str, Any], model: ChainModel) -> Reply:
        payload = model.answer(body)
        payload[concern] = []
        payload["open_questions"] = [q for q in payload["open_questions"] if q["concern"] != concern]
        return model.reply(body, payload)

    return fault


def chain_model() -> ChainModel:
    """Factory for the server's --responder option: tests.support.responders:chain_model."""
    return ChainModel()


class ScriptedSpecModel(ChainModel):
    """A model that answers every draft and repair request with a scripted spec, whatever the
    notes and the gate's findings say: how a hallucinating or injection-obeying model behaves.

    A case file (YAML: eval_sets/adversarial/*.yaml) gives ``answer`` (the spec the draft
    request gets) and optionally ``repair`` (what every repair request gets; default: the same
    answer again). Fields the answer leaves out are empty. Extraction and kind requests are
    answered as ChainModel answers them.
    """

    def __init__(self, case: Path | str | dict[str, Any]) -> None:
        super().__init__()
        data = case if isinstance(case, dict) else yaml.safe_load(Path(case).read_text(encoding="utf-8"))
        self.answer_spec: dict[str, Any] = data["answer"]
        self.repair_spec: dict[str, Any] = data.get("repair") or data["answer"]
        self.spec_requests = 0

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        schema = requested_schema(body)
        if schema not in _SCHEMA_TO_KIND:
            return super().answer(body)
        scripted = self.answer_spec if self.spec_requests == 0 else self.repair_spec
        self.spec_requests += 1
        model = SPEC_KINDS[_SCHEMA_TO_KIND[schema]]
        filled = {name: ("" if name == "title" else []) for name in model.model_fields}
        return {**filled, **scripted}


def scripted_spec() -> ScriptedSpecModel:
    """Factory for the server's --responder option: the case file named by TRANSLATOR_SCRIPTED_CASE."""
    return ScriptedSpecModel(os.environ["TRANSLATOR_SCRIPTED_CASE"])
