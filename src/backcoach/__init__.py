"""backcoach: why does my back hurt, is it dangerous, and what can I do about it."""

__version__ = "0.1.0"
