"""The progress callback that long operations (sync, index rebuild) report through."""

from collections.abc import Callable

Progress = Callable[[int, int], None]
"""Called with (done, total)."""
