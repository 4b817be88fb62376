"""The dockerfab test bed: simulated remote Docker hosts (network namespaces, each with its own
dockerd and sshd) on this machine. ``python -m tests.testbed up`` starts it; tests read it with
:func:`load_bed`. See docs/testbed.rst."""
from tests.bed.state import Bed, BedHost, BedMissing, BedRegistry, load_bed

__all__ = ["Bed", "BedHost", "BedMissing", "BedRegistry", "load_bed"]
