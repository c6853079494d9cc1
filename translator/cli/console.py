"""The two consoles every command writes to: results on stdout, progress and errors on stderr.

soft_wrap keeps every printed line whole (a finding or an error stays one greppable line even
in a narrow CI log); tables still lay themselves out to the terminal's width.
"""

from __future__ import annotations

from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
