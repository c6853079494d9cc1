"""A requests-per-minute and tokens-per-minute limiter shared by every worker of a batch.

A sliding one-minute log means the configured limits hold over every 60-second window, not
just on average. A 429 anywhere pauses everyone (``penalize``): the service is telling the
whole batch to slow down, not only the request that heard it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

WINDOW = 60.0


class RateLimiter:
    def __init__(
        self,
        rpm: int | None = None,
        tpm: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self._clock = clock
        self._sleep = sleep
        self._log: deque[tuple[float, int]] = deque()
        self._tokens_in_window = 0
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self.waited = 0.0  # total seconds spent waiting, for the report

    @property
    def counts_tokens(self) -> bool:
        return self.tpm is not None

    async def acquire(self, tokens: int) -> None:
        """Wait until a request of ``tokens`` fits within both limits, then count it."""
        if self.tpm is not None:
            tokens = min(tokens, self.tpm)  # a request larger than the limit still goes, alone
        async with self._lock:
            while True:
                now = self._clock()
                self._expire(now)
                delay = max(0.0, self._paused_until - now)
                if not delay:
                    delay = self._delay_for(now, tokens)
                if delay <= 0:
                    break
                self.waited += delay
                await self._sleep(delay)
            self._log.append((self._clock(), tokens))
            self._tokens_in_window += tokens

    def penalize(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))

    def _expire(self, now: float) -> None:
        while self._log and self._log[0][0] <= now - WINDOW:
            _, tokens = self._log.popleft()
            self._tokens_in_window -= tokens

    def _delay_for(self, now: float, tokens: int) -> float:
        delay = 0.0
        if self.rpm is not None and len(self._log) >= self.rpm:
            delay = self._log[len(self._log) - self.rpm][0] + WINDOW - now
        if self.tpm is not None and self._tokens_in_window + tokens > self.tpm:
            # Wait until enough of the oldest requests leave the window.
            excess = self._tokens_in_window + tokens - self.tpm
            freed = 0
            for stamp, used in self._log:
                freed += used
                if freed >= excess:
                    delay = max(delay, stamp + WINDOW - now)
                    break
        return delay
