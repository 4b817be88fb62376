"""Transfer progress on a text stream: a bar redrawn in place on a terminal, else a plain
line every few seconds (and one at the end)."""
from __future__ import annotations

import time
from typing import TextIO


def size(count: float) -> str:
    """A byte count in MiB with one decimal (``1.5 MiB``)."""
    return f"{count / 2**20:.1f} MiB"


class ProgressLines:
    """Draws progress for one stream; remembers the bar left open (no newline yet) so other
    output can end that line first (:meth:`close_bar`)."""

    plain_interval = 5.0  # seconds between plain progress lines
    bar_interval = 0.1  # seconds between redraws of a bar
    width = 30  # characters of a bar

    def __init__(self) -> None:
        self.open_bar: str | None = None  # key of the bar currently drawn
        self._shown_at: dict[str, float] = {}

    def close_bar(self, stream: TextIO) -> None:
        """End the open bar's line, if any, before other output."""
        if self.open_bar is not None:
            stream.write("\n")
            self.open_bar = None

    def due(self, key: str, tty: bool, final: bool) -> bool:
        """Whether to show this update now (throttled per host and transfer)."""
        now = time.monotonic()
        interval = self.bar_interval if tty else self.plain_interval
        if not final and now - self._shown_at.get(key, -1e9) < interval:
            return False
        self._shown_at[key] = now
        if final:
            self._shown_at.pop(key, None)
        return True

    def draw(self, stream: TextIO, host: str, what: str, done: int, total: int | None,
             final: bool, tty: bool) -> None:
        """Show one update if it is due."""
        key = f"{host}\0{what}"
        if not self.due(key, tty, final):
            return
        amount = size(done) + (f" of {size(total)}" if total else "")
        if not tty:
            self.close_bar(stream)
            stream.write(f"[{host}] {what}: {amount}{' done' if final else ''}\n")
            stream.flush()
            return
        if total:
            filled = min(self.width, int(self.width * done / total))
            bar = "#" * filled + "." * (self.width - filled)
            line = f"[{host}] {what} [{bar}] {min(100, int(100 * done / total)):3d}% {amount}"
        else:
            line = f"[{host}] {what} {amount}"
        if self.open_bar is not None and self.open_bar != key:
            stream.write("\n")
        stream.write("\r\x1b[K" + line)
        self.open_bar = key
        if final:
            stream.write("\n")
            self.open_bar = None
        stream.flush()
