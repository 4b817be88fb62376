"""The ``dockerfab`` program with request and SSH-connection counters (for bench_ssh).

    DOCKERFAB_BENCH_COUNTS=out.json python -m tests.bench.counted_program -H bed1 startup __all__

Runs ``dockerfab.cli.main`` unchanged; at exit writes ``{"requests": N, "connections": M,
"channels": C, "peers": [...]}`` to the file named by ``DOCKERFAB_BENCH_COUNTS``.
"""
from __future__ import annotations

import atexit
import json
import os

from tests.bench.counting import install

COUNTS = install()


def _write() -> None:
    path = os.environ.get("DOCKERFAB_BENCH_COUNTS")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"requests": COUNTS.requests, "connections": COUNTS.connections,
                       "channels": COUNTS.channels,
                       "peers": COUNTS.peers}, out)


atexit.register(_write)

if __name__ == "__main__":
    from dockerfab.cli import main

    main()
