"""Prompts are data: versioned YAML files in prompts/, loaded into LangChain templates."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import yaml
from langchain_core.prompts import ChatPromptTemplate

from translator.resources import data_dir

STEPS = ("extract", "classify", "draft", "repair")


@dataclass(frozen=True)
class Prompt:
    step: str
    version: int
    template: ChatPromptTemplate

    @property
    def label(self) -> str:
        return f"{self.step}@{self.version}"


@cache
def load_prompt(step: str) -> Prompt:
    path = data_dir("prompts") / f"{step}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    template = ChatPromptTemplate.from_messages([("system", data["system"]), ("human", data["user"])])
    return Prompt(step=step, version=int(data["version"]), template=template)


def prompt_versions() -> str:
    """The versions of every prompt, recorded in each draft: "extract@1 classify@1 draft@1 repair@1"."""
    return " ".join(load_prompt(step).label for step in STEPS)
