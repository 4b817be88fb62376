"""Whether an attached volume's preparation (chown/chmod) completed, recorded on the host
(pure: names and labels only).

Volume labels are fixed at creation, so the volume itself cannot say "prepared" later.
Instead, before a volume that needs preparing is created, a small empty *marker volume*
``<volume>.unprepared`` (label ``dockerfab.unprepared=<volume>``) is created; it is removed
when the preparation has completed. A marker that is still there, seen in the volume list
every run already makes, means the preparation did not complete (the run failed or was
interrupted in between): the next run prepares the volume and ``status`` shows it as not
prepared until then. A prepared volume has no marker, so a no-op run costs nothing extra.
"""
from __future__ import annotations

from dockerfab.plan.desired import LABEL_MAP, DesiredVolume
from dockerfab.plan.snapshot import HostSnapshot

LABEL_UNPREPARED = "dockerfab.unprepared"
MARKER_SUFFIX = ".unprepared"


def marker_name(volume: str) -> str:
    return volume + MARKER_SUFFIX


def marker_labels(volume: DesiredVolume) -> dict[str, str]:
    return {LABEL_UNPREPARED: volume.name, LABEL_MAP: volume.labels.get(LABEL_MAP, "")}


def needs_preparing(volume: DesiredVolume) -> bool:
    return volume.user is not None or bool(volume.permissions)


def unprepared(snapshot: HostSnapshot, volume: str) -> bool:
    """Whether the marker of ``volume`` is on the host (its preparation did not complete)."""
    marker = snapshot.volumes.get(marker_name(volume))
    return marker is not None and marker.labels.get(LABEL_UNPREPARED) == volume


def is_marker(labels: dict[str, str]) -> bool:
    return LABEL_UNPREPARED in labels
