"""A minimal image from a static busybox binary, built with no registry at all.

Useful where no registry is reachable (air-gapped hosts, the test bed): ``FROM scratch``,
the local busybox binary as ``/bin/busybox``, its applets linked into ``/bin``, a ``/tmp``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from dockerfab.build.dockerfile import Command, DockerFile
from dockerfab.errors import BuildError

if TYPE_CHECKING:
    from dockerfab.client.wrapper import DockerClientWrapper

#: Where Debian's busybox-static package installs the binary.
BUSYBOX = "/bin/busybox"


def busybox_dockerfile(busybox: str = BUSYBOX, maintainer: str | None = None) -> DockerFile:
    """A DockerFile for a busybox base image; add more commands and properties to it."""
    df = DockerFile("scratch", maintainer=maintainer)
    df.add_file(busybox, "/bin/busybox")
    df.run(["/bin/busybox", "--install", "-s", "/bin"])
    df.run("mkdir -p /tmp /var/tmp /root && chmod 1777 /tmp /var/tmp")
    return df


def build_busybox_image(client: DockerClientWrapper, tag: str, busybox: str = BUSYBOX, *,
                        files: Mapping[str, str] | None = None,
                        setup: Iterable[Command] = (), command: Command | None = None,
                        labels: dict[str, Any] | None = None, **build_kwargs: Any) -> str:
    """Build a busybox image tagged ``tag`` on ``client``'s daemon and return its id.

    ``files``: image path -> local path, added after busybox; ``setup``: extra ``RUN``
    commands; ``command``: its ``CMD``; ``labels``: ``LABEL``s.
    Further keyword arguments go to :meth:`DockerClientWrapper.build` (``add_tags``,
    ``add_latest_tag``, ``nocache`` ...); ``network_mode`` defaults to ``'none'``. A failed
    build raises BuildError.
    """
    with busybox_dockerfile(busybox) as df:
        for target, source in (files or {}).items():
            df.add_file(source, target)
        df.run_all(*setup)
        if command is not None:
            df.command = command
        if labels:
            df.labels = labels
        build_kwargs["raise_on_error"] = True
        build_kwargs.setdefault("network_mode", "none")  # nothing to download
        image_id = client.build_from_file(df, tag, **build_kwargs)
    if image_id is None:  # pragma: no cover - raise_on_error raises first
        raise BuildError(f"build of {tag} returned no image id")
    return image_id


__all__ = ["BUSYBOX", "build_busybox_image", "busybox_dockerfile"]
