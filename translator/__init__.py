"""spec-translator: turn ML research findings into engineering specs, and score specs."""

__version__ = "0.1.0"
