"""Who holds a deploy lock: the record written into the lock on the host (pure)."""
from __future__ import annotations

import getpass
import json
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any


def utc_stamp(seconds: float | None = None) -> str:
    """``2026-12-01T09:25:11Z``: the times the lock, releases and audit log record."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def who() -> str:
    """``user@machine`` of this controller."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


@dataclass(frozen=True)
class Holder:
    """The run that holds (or wants) a lock. ``token`` is unique per run: a run releases
    only a lock that still carries its own token (not one taken after an ``unlock``)."""
    who: str
    pid: int
    since: str
    task: str
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def here(cls, task: str) -> Holder:
        return cls(who(), os.getpid(), utc_stamp(), task)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Holder | None:
        """The holder written in a lock; None when it is unreadable (a lock being taken
        at this very moment, or a damaged one)."""
        try:
            data: Any = json.loads(text)
            return cls(str(data["who"]), int(data["pid"]), str(data["since"]),
                       str(data["task"]), str(data.get("token", "")))
        except (ValueError, KeyError, TypeError):
            return None

    def describe(self) -> str:
        """``root@ctl (pid 4711) since 2026-12-01T09:25:11Z, task update web``."""
        return f"{self.who} (pid {self.pid}) since {self.since}, task {self.task}"
