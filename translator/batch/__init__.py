"""Batch re-translation of a corpus: the draft path over many inputs, durably and within limits."""

from translator.batch.journal import Entry, Journal
from translator.batch.limiter import RateLimiter
from translator.batch.runner import BatchOptions, BatchResult, Progress, run_batch

__all__ = ["BatchOptions", "BatchResult", "Entry", "Journal", "Progress", "RateLimiter", "run_batch"]
