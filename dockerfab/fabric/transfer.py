"""Image tarballs streamed between this machine and a host (``docker save``/``docker load``
over the host's SSH connection), reporting progress to the run's reporter (a bar on a
terminal, plain lines otherwise)."""
from __future__ import annotations

import os
from collections.abc import Iterator

from dockerfab.errors import RemoteError
from dockerfab.fabric.run import HostSession

CHUNK = 1 << 20


def save_image(session: HostSession, image: str, path: str) -> str:
    """Stream ``docker save`` of ``image`` from the host into the local file ``path``
    (``{host}`` in it is replaced by the host name); returns the file written."""
    target = path.format(host=session.label)
    total = session.client.inspect_image(image).get("Size")
    what = f"save-image {image}"
    done = 0
    partial = target + ".part"
    with open(partial, "wb") as f:
        for chunk in session.client.get_image(image, chunk_size=CHUNK):
            f.write(chunk)
            done += len(chunk)
            session.reporter.progress(session.label, what, done, total)
    os.replace(partial, target)
    session.reporter.progress(session.label, what, done, total, final=True)
    return target


def load_image(session: HostSession, path: str) -> list[str]:
    """Stream the local tarball ``path`` into the host's ``docker load``; returns its
    messages."""
    total = os.path.getsize(path)
    what = f"load-image {os.path.basename(path)}"
    done = 0

    def chunks() -> Iterator[bytes]:
        nonlocal done
        with open(path, "rb") as f:
            while block := f.read(CHUNK):
                done += len(block)
                session.reporter.progress(session.label, what, done, total)
                yield block

    messages = []
    for entry in session.client.load_image(chunks()):
        if "error" in entry:
            raise RemoteError(str(entry["error"]), host=session.label, action="load-image",
                              item=path)
        if entry.get("stream"):
            messages.append(str(entry["stream"]).strip())
    session.reporter.progress(session.label, what, done, total, final=True)
    return messages
