"""The two consoles every command writes to: results on stdout, progress and errors on stderr.

soft_wrap keeps every printed line whole (a finding or an error stays one greppable line even
in a narrow CI log); tables still lay themselves out to the terminal's width.

Everything printed as a string goes through the one redaction step (no key reaches a terminal
or a CI log) and has its control characters shown as escapes: a file named with an escape
sequence must not retitle, recolour or clear the user's terminal.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console

from translator.redact import redact

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """``text`` redacted, with control characters (ESC, BEL, CR, ...) shown as ``\\x1b``-style escapes."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", redact(text))


class SafeConsole(Console):
    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(terminal_safe(o) if isinstance(o, str) else o for o in objects), **kwargs)


out = SafeConsole(highlight=False, soft_wrap=True)
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)
