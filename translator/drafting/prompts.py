"""Prompts are data: versioned YAML files in prompts/, loaded into LangChain templates.

The chain's steps are chat templates (``system`` and ``user``); the instructions code adds to a
request (the unusable-answer repair finding, the JSON-mode schema message) are one ``text``
each. Only the chat templates need LangChain, so the round machine can read the texts without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import yaml

from translator.resources import data_dir

if TYPE_CHECKING:
    from langchain_core.prompts import ChatPromptTemplate

STEPS = ("extract", "classify", "draft", "repair")
TEXTS = ("unusable", "json_mode")


@dataclass(frozen=True)
class Prompt:
    step: str
    version: int
    template: ChatPromptTemplate

    @property
    def label(self) -> str:
        return f"{self.step}@{self.version}"


@cache
def _prompt_file(name: str) -> dict[str, Any]:
    path = data_dir("prompts") / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a prompt file")
    return data


@cache
def load_prompt(step: str) -> Prompt:
    from langchain_core.prompts import ChatPromptTemplate

    data = _prompt_file(step)
    template = ChatPromptTemplate.from_messages([("system", data["system"]), ("human", data["user"])])
    return Prompt(step=step, version=int(data["version"]), template=template)


def prompt_text(name: str, **variables: str) -> str:
    """One of the instruction texts (``TEXTS``), with its variables filled in."""
    return str(_prompt_file(name)["text"]).format(**variables)


def prompt_versions() -> str:
    """The versions of every prompt, recorded in each draft:
    "extract@1 classify@1 draft@1 repair@1 unusable@1 json_mode@1"."""
    labels = [load_prompt(step).label for step in STEPS]
    labels += [f"{name}@{int(_prompt_file(name)['version'])}" for name in TEXTS]
    return " ".join(labels)
