"""The test images: built from scratch with the busybox binary (no outside registry is reachable).

Every long-running image exits at once on SIGTERM, even as PID 1 (a shell trap), so stopping
a test container takes milliseconds, not the 10 s stop time-out.
"""
from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker

from dockerfab.build.context import DockerContext
from tests.bed.layout import LOCAL_DOCKER_SOCKET
from tests.bed.system import say

BUSYBOX = Path("/bin/busybox")
LABEL = "org.dockerfab.test"            # value: the image's tag; marks it as a bed image
HASH_LABEL = "org.dockerfab.test.hash"  # hash of what the image was built from

IDLE = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"

PASSWD = """\
root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/bin/false
nginx:x:101:2000:nginx:/var/cache/nginx:/bin/false
app:x:2000:2000:app:/var/lib/app:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
"""
GROUP = """\
root:x:0:
www-data:x:33:
apps:x:2000:nginx
nogroup:x:65534:
"""


@dataclass(frozen=True)
class TestImage:
    """One image: its tag, the Dockerfile (without labels), the image it builds on, and files."""

    __test__ = False  # not a pytest test class

    tag: str
    dockerfile: str
    parent: str | None = None
    files: dict[str, Path | str] = field(default_factory=dict)


IMAGES: tuple[TestImage, ...] = (
    TestImage(
        "busybox:latest",
        'FROM scratch\n'
        'COPY busybox /bin/busybox\n'
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        'COPY passwd group /etc/\n'
        'RUN mkdir -p /tmp /root /var/tmp && chmod 1777 /tmp /var/tmp\n'
        'CMD ["sh"]\n',
        files={"busybox": BUSYBOX, "passwd": PASSWD, "group": GROUP}),
    TestImage(
        "dockerfab-test/base:latest",
        'FROM busybox:latest\n'
        f'CMD ["sh", "-c", "{IDLE}"]\n',
        parent="busybox:latest"),
    TestImage(
        # web-server stand-in: busybox httpd on 80 and 443 (plain HTTP on both)
        "registry.example.com/nginx:latest",
        'FROM busybox:latest\n'
        'RUN mkdir -p /var/www/html /etc/nginx /var/log/nginx /var/cache/nginx'
        ' && echo "dockerfab test web server" > /var/www/html/index.html\n'
        'EXPOSE 80 443\n'
        'CMD ["sh", "-c", "httpd -p 80 -h /var/www/html && httpd -p 443 -h /var/www/html'
        f' && {IDLE}"]\n',
        parent="busybox:latest"),
    TestImage(
        # app-server stand-in: idles; the spec's map runs it as user 2000
        "registry.example.com/app:latest",
        'FROM busybox:latest\n'
        'RUN mkdir -p /var/lib/app/config /var/lib/app/data /var/lib/app/log'
        ' /var/lib/app/socket\n'
        f'CMD ["sh", "-c", "{IDLE}"]\n',
        parent="busybox:latest"),
)


def _content(data: Path | str) -> bytes:
    return data.read_bytes() if isinstance(data, Path) else data.encode()


def image_hashes() -> dict[str, str]:
    """tag -> hash of the Dockerfile, the files and the parent's hash."""
    hashes: dict[str, str] = {}
    for image in IMAGES:
        digest = hashlib.sha256(image.dockerfile.encode())
        digest.update(hashes.get(image.parent or "", "").encode())
        for name, data in sorted(image.files.items()):
            digest.update(name.encode() + b"\0" + hashlib.sha256(_content(data)).digest())
        hashes[image.tag] = digest.hexdigest()[:16]
    return hashes


def build_image(api: docker.APIClient, tag: str, dockerfile: str,
                files: dict[str, Path | str]) -> str:
    """Build ``dockerfile`` with ``files`` as its context and tag it; returns the image id.

    The one place the bed builds images. The context is dockerfab's own DockerContext; the
    build call is the SDK's, so that any APIClient (a bed host's, the local one) will do.
    """
    with DockerContext() as context:
        for name, data in {"Dockerfile": dockerfile, **files}.items():
            content = _content(data)
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(content), 0o755
            context.addfile(info, io.BytesIO(content))
        context.finalize()
        image_id = None
        with context.open() as fileobj:
            for chunk in api.build(fileobj=fileobj, custom_context=True,
                                   encoding=context.stream_encoding, tag=tag, rm=True,
                                   forcerm=True, pull=False, decode=True):
                if "error" in chunk:
                    raise RuntimeError(f"building {tag} failed: {chunk['error'].strip()}")
                image_id = chunk.get("aux", {}).get("ID", image_id)
    return image_id or str(api.inspect_image(tag)["Id"])


def _labelled(image: TestImage, digest: str) -> str:
    return image.dockerfile + f'LABEL {LABEL}="{image.tag}" {HASH_LABEL}="{digest}"\n'


def ensure_local_images(api: docker.APIClient) -> dict[str, str]:
    """Build the images the local daemon lacks or has from other content; tag -> id."""
    have: dict[str, dict[str, Any]] = {}
    for info in api.images(filters={"label": LABEL}):
        for tag in info.get("RepoTags") or ():
            have[tag] = info
    hashes = image_hashes()
    ids: dict[str, str] = {}
    rebuilt: set[str] = set()
    for image in IMAGES:
        info = have.get(image.tag)
        fresh = (info is not None and image.parent not in rebuilt
                 and (info.get("Labels") or {}).get(HASH_LABEL) == hashes[image.tag])
        if fresh:
            assert info is not None
            ids[image.tag] = info["Id"]
            continue
        say(f"building {image.tag}")
        ids[image.tag] = build_image(api, image.tag, _labelled(image, hashes[image.tag]),
                                     image.files)
        rebuilt.add(image.tag)
    return ids


class SavedImages:
    """All the test images in one ``docker save`` tarball of the local daemon, made on first
    use and kept in memory (about 2 MiB), so that each of many new hosts loads them with one
    request instead of one save and one load per image. Thread-safe."""

    def __init__(self, tags: list[str]) -> None:
        self.tags = tags
        self._data: bytes | None = None
        self._lock = threading.Lock()

    def data(self) -> bytes:
        with self._lock:
            if self._data is None:
                done = subprocess.run(["docker", "-H", f"unix://{LOCAL_DOCKER_SOCKET}", "save",
                                       *self.tags], stdin=subprocess.DEVNULL,
                                      capture_output=True, check=False)
                if done.returncode != 0:
                    raise RuntimeError(f"docker save {' '.join(self.tags)} failed: "
                                       f"{done.stderr.decode(errors='replace').strip()}")
                self._data = done.stdout
            return self._data


def ensure_host_images(host_name: str, host_api: docker.APIClient, local_api: docker.APIClient,
                       ids: dict[str, str], saved: SavedImages | None = None) -> None:
    """Load into a host's daemon the images it lacks (by id): docker save | docker load, or
    all of ``saved`` at once. Names are compared normalized: Podman lists ``busybox:latest``
    as ``localhost/busybox:latest``."""
    from dockerfab.map.naming import image_aliases, normalize_image

    have = {alias: info["Id"] for info in host_api.images(filters={"label": LABEL})
            for tag in info.get("RepoTags") or () for alias in image_aliases(tag)}
    missing = [tag for tag, image_id in ids.items()
               if have.get(normalize_image(tag)) != image_id]
    if not missing:
        return
    say(f"{host_name}: loading {' '.join(missing)}")
    if saved is not None:
        host_api.load_image(saved.data())
    else:
        for tag in missing:
            host_api.load_image(local_api.get_image(tag))
    # the images these replaced are now untagged: remove them (unless a container uses one),
    # so a rebuilt bed leaves no dangling images that tests of clean-up would find
    replaced = {have[normalize_image(tag)] for tag in missing if normalize_image(tag) in have}
    for old_id in replaced - set(ids.values()):
        try:
            host_api.remove_image(old_id)
        except docker.errors.APIError:
            pass
