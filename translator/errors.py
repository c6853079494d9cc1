"""The one exception tree of spec-translator.

Library code raises these; the CLI turns each into a single line on stderr and an exit code.
Keep messages one line, and lead with the file or thing they are about, so that a user who
scored 200 files knows which one to open.
"""

from __future__ import annotations


class TranslatorError(Exception):
    """Base of every error this package raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None) -> None:
        from translator.redact import redact  # every message is redacted where it is made

        self.path = path
        super().__init__(redact(f"{path}: {message}" if path else message))


class InputError(TranslatorError):
    """A file or argument the user gave cannot be read or used (missing, empty, binary, too big)."""


class ConfigError(TranslatorError):
    """pyproject.toml [tool.translator] or .translator.toml is malformed."""


class OutputError(TranslatorError):
    """An output cannot be written where it was asked for (unwritable folder, full disk, a file the
    tool did not create in the way, another batch holding the folder)."""


class RubricError(TranslatorError):
    """A rubric file is malformed; the message names the file, line and field."""


class ModelServiceError(TranslatorError):
    """The model service failed in a way retries did not cure (auth, unknown model, outage)."""

    exit_code = 4


class OutputInvalid(ModelServiceError):
    """The model answered, but not with output that fits the schema (malformed, truncated, empty).

    The round machine judges it: a failed round for an extract, draft or repair answer (asked
    again), a fall-back to the rubric's detection for a classify answer."""


class Refused(ModelServiceError):
    """The model refused, or its output was filtered: a model-service failure, never repaired."""
