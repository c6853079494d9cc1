"""The live drafting chain: each request of the round machine as an LCEL step, awaited.

Each step is ``prompt | model call`` where the model call goes through the ModelSession (one
retry policy, one cache, one usage ledger). What to ask next, and what an answer means, is the
round machine's (translator.drafting.rounds); the gate is code, so no model output can change
its verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import BaseModel

from translator.drafting.prompts import load_prompt
from translator.drafting.result import Draft
from translator.drafting.rounds import Answer, Ask, Rounds
from translator.drafting.service import ModelSession
from translator.errors import OutputInvalid, Refused


def _step(session: ModelSession, step: str, schema: type[BaseModel]) -> Runnable[dict[str, Any], BaseModel]:
    prompt = load_prompt(step).template

    async def call(variables: dict[str, Any]) -> BaseModel:
        return await session.structured(step, prompt, variables, schema)

    return RunnableLambda(call, name=step)


class DraftingChain:
    def __init__(self, session: ModelSession, on_step: Callable[[str], None] | None = None) -> None:
        self.session = session
        self.on_step = on_step or (lambda _: None)

    async def ask(self, request: Ask) -> list[Answer]:
        """Send each part of ``request`` in turn; an unusable answer or a refusal comes back as
        data, for the round machine to judge (the parts after it are not sent)."""
        self.on_step(request.label)
        step = _step(self.session, request.step, request.schema)
        answers: list[Answer] = []
        for variables in request.parts:
            try:
                answers.append(await step.ainvoke(variables))
            except (OutputInvalid, Refused) as exc:
                answers.append(exc)
                break
        return answers

    async def run(self, rounds: Rounds) -> Draft:
        """Step the round machine until it hands back the draft."""
        outcome: Ask | Draft = rounds.request()
        while isinstance(outcome, Ask):
            outcome = await rounds.answer(await self.ask(outcome))
        return outcome
