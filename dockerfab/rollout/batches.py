"""Rolling across hosts (pure): splitting hosts into batches, counting failures, and which
hosts go back when a rollout fails."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from dockerfab.rollout.config import parse_batch


def split_batches(hosts: Sequence[str], batch: str | None) -> list[list[str]]:
    """Hosts in batches, in the order given: ``None`` one batch of all, ``'2'`` two at a
    time, ``'25%'`` a quarter of the hosts at a time (rounded up, at least one)."""
    hosts = list(hosts)
    if not hosts:
        return []
    if batch is None:
        return [hosts]
    number, percent = parse_batch(batch)
    size = max(1, math.ceil(len(hosts) * number / 100)) if percent else number
    return [hosts[i:i + size] for i in range(0, len(hosts), size)]


@dataclass
class Progress:
    """Where a rollout stands: what each host it reached has done (``True``: switched,
    ``False``: failed, with why), and whether the rollout has to stop."""
    batches: list[list[str]]
    max_failures: int = 0
    on_failure: str = "rollback"
    outcome: dict[str, bool] = field(default_factory=dict)
    why: dict[str, str] = field(default_factory=dict)

    def record(self, host: str, ok: bool, why: str = "") -> None:
        self.outcome[host] = ok
        if not ok:
            self.why[host] = why

    @property
    def failed(self) -> list[str]:
        return [h for h in self.order if self.outcome.get(h) is False]

    @property
    def order(self) -> list[str]:
        return [h for b in self.batches for h in b]

    @property
    def failed_too_often(self) -> bool:
        """More hosts failed than ``max_failures`` allows."""
        return len(self.failed) > self.max_failures

    @property
    def must_stop(self) -> bool:
        """No further batch starts (``continue`` goes on whatever fails)."""
        return self.failed_too_often and self.on_failure != "continue"

    def roll_back(self) -> list[str]:
        """The hosts that go back to the release they had before the rollout: when it
        failed and ``on_failure`` is ``rollback``, every host it reached (switched or
        failed), in rollout order; hosts not reached are left alone."""
        if not (self.failed_too_often and self.on_failure == "rollback"):
            return []
        return [h for h in self.order if h in self.outcome]

    def not_reached(self) -> list[str]:
        return [h for h in self.order if h not in self.outcome]

    def reason(self) -> str:
        """Why the rollout failed: ``bed1: <its error>; bed2: ...``."""
        return "; ".join(f"{h}: {self.why.get(h) or 'failed'}" for h in self.failed)
