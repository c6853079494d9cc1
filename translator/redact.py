"""The one redaction step: no API key leaves the process.

Every message printed, every failure reason journalled, and every report and output written
passes through :func:`redact`. It removes the configured key (``OPENAI_API_KEY``, and any key
handed to :func:`register_secret`) and anything shaped like a key or a bearer token, because a
server error can echo the credential it was sent ("Incorrect API key provided: sk-...").
"""

from __future__ import annotations

import os
import re

REDACTED = "[redacted]"
_SHAPES = re.compile(
    r"(?:\bBearer\s+(?=[^\s]*\d)[A-Za-z0-9._~+/=-]{8,})"  # an Authorization header's value (a word is not)
    r"|(?:\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,})"  # OpenAI-style keys (sk-, sk-proj-, ...)
    r"|(?:\bAIza[0-9A-Za-z_-]{30,})"  # Google API keys
    r"|(?:\bgh[pousr]_[A-Za-z0-9]{30,})",  # GitHub tokens
    re.IGNORECASE,
)
_MIN_SECRET = 4  # shorter "keys" (test placeholders such as "k") would redact ordinary words
_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Redact ``secret`` from everything that leaves the process from now on."""
    if secret and len(secret) >= _MIN_SECRET:
        _secrets.add(secret)


def _configured() -> set[str]:
    found = set(_secrets)
    key = os.environ.get("OPENAI_API_KEY")
    if key and len(key) >= _MIN_SECRET:
        found.add(key)
    return found


def redact(text: str) -> str:
    """``text`` without the configured key or anything shaped like a key or bearer token."""
    for secret in sorted(_configured(), key=len, reverse=True):  # the longest first: one may contain another
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _SHAPES.sub(REDACTED, text)
