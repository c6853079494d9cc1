"""Token estimates for rate limits and messages, before anything is sent.

tiktoken (o200k_base, the encoding of current OpenAI models) when its encoding can be loaded;
tiktoken downloads encodings on first use and caches them, so on a machine that has never
been online it cannot load one, and the estimate falls back to about four characters a
token. The fallback is conservative enough for limits: English prose averages near four.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

ENCODING = "o200k_base"


@cache
def _encoding() -> Any | None:
    try:
        import tiktoken

        return tiktoken.get_encoding(ENCODING)
    except Exception:  # no encoding cached and no network, or tiktoken missing
        return None


def estimate_tokens(text: str) -> int:
    encoding = _encoding()
    if encoding is not None:
        return max(1, len(encoding.encode(text, disallowed_special=())))
    return max(1, math.ceil(len(text) / 4))


def using_tiktoken() -> bool:
    return _encoding() is not None
