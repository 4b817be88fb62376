"""Set-up shared by the rollout tests: a project with a two-container map (``app`` on a test
image built per test, ``web`` linking to it), test images built on the bed hosts, the
``dockerfab`` program run in the project, and clean-up of what a test made."""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker.errors
import yaml

from tests.bed import Bed
from tests.bed.images import build_image
from tests.integration.fabric_helpers import program_path, unique, write_project

BASE = "dockerfab-test/base:latest"
IDLE = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"
#: Container events that change a container (what "never touched" rules out).
CHANGES = {"create", "start", "restart", "stop", "kill", "die", "destroy", "rename", "update",
           "pause", "unpause", "attach", "detach", "commit", "copy", "export", "resize"}
#: Seconds a stop of the slow image takes (it ignores SIGTERM until the stop time-out).
SLOW_STOP = 3


def dockerfile(version: str, healthy: bool | None = True, slow_stop: bool = False) -> str:
    """A test image: the bed's base image with a version label, a health check that passes
    (``healthy``), fails (``False``) or none (``None``); ``slow_stop`` ignores SIGTERM."""
    lines = [f"FROM {BASE}", f"LABEL org.dockerfab.test.version={version}"]
    if healthy:  # generous: a loaded test machine can make one check slow
        lines.append("HEALTHCHECK --interval=1s --timeout=10s --retries=3 CMD true")
    elif healthy is False:  # unhealthy after its first check
        lines.append("HEALTHCHECK --interval=1s --timeout=10s --retries=1 CMD false")
    if slow_stop:
        lines.append('CMD ["sh", "-c", "trap \'\' TERM; while :; do sleep 1; done"]')
    return "\n".join(lines) + "\n"


@dataclass
class Project:
    """A project directory with one map named ``name`` deployed to ``hosts``."""
    bed: Bed
    bed_api: Any
    directory: Path
    ssh_config: Path
    hosts: tuple[str, ...]
    name: str = field(default_factory=lambda: unique("dfrel"))
    images: list[str] = field(default_factory=list)
    image_ids: set[str] = field(default_factory=set)
    #: ``docker.state_dir`` on the hosts: the project's own state, which no other run
    #: shares (None: the daemon's dockerfab-state volume, shared by every project)
    state_root: str | None = None

    @property
    def repository(self) -> str:
        return f"{self.name}/app"

    def state_dir(self, host: str) -> str:
        """This map's directory in the host's state (the daemon's dockerfab-state volume,
        or the project's own ``state_root``)."""
        root = self.state_root or self.bed_api(host).inspect_volume(
            "dockerfab-state")["Mountpoint"]
        return f"{root}/maps/{self.name}"

    def build(self, tag: str, healthy: bool | None = True, slow_stop: bool = False,
              hosts: tuple[str, ...] | None = None, variant: str = "") -> dict[str, str]:
        """Build ``<repository>:<tag>`` on the hosts (``variant``: another image under the
        same tag); returns host -> image id."""
        image = f"{self.repository}:{tag}"
        self.images.append(image)
        # the map's name in the version: the same Dockerfile text would build the same image
        # id in another test (another engineer's run on the shared bed), whose clean-up
        # removes its image ids by force
        text = dockerfile(f"{self.name}-{tag}{variant}", healthy, slow_stop)
        ids = {h: build_image(self.bed_api(h), image, text, {})
               for h in hosts or self.hosts}
        self.image_ids.update(ids.values())
        return ids

    def write_map(self, tag: str, mode: str = "one", stop_timeout: int | None = None,
                  **docker: Any) -> None:
        app: dict[str, Any] = {"image": f"{self.repository}:{tag}",
                               "create_options": {"environment": {"MODE": mode,
                                                                  "SECRET": "s3cr3t-" + mode}}}
        if stop_timeout is not None:
            app["stop_timeout"] = stop_timeout
        data = {"name": self.name, "app": app, "web": {"image": BASE, "links": ["app"]}}
        (self.directory / "map.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        if self.state_root:
            docker.setdefault("state_dir", self.state_root)
        write_project(self.directory, {"maps": ["map.yaml"], **docker})

    def deploy_slow_to_update(self, tag: str = "1") -> None:
        """Start the map on its hosts on an image whose stop takes SLOW_STOP seconds, then
        change the map: an ``update`` now re-creates it, and holds the lock a while."""
        self.build(tag, healthy=None, slow_stop=True)
        self.write_map(tag, mode="one", stop_timeout=SLOW_STOP)
        assert self.run("-H", ",".join(self.hosts), "startup", "__all__").returncode == 0
        self.write_map(tag, mode="two", stop_timeout=SLOW_STOP)

    def argv(self, *args: str) -> list[str]:
        return [program_path("dockerfab"), "-S", str(self.ssh_config), *args]

    def run(self, *args: str, timeout: float = 180, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(self.argv(*args), check=False, cwd=self.directory,
                              env={**os.environ, **(env or {})}, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        print(f"$ dockerfab {' '.join(args)}  -> {proc.returncode}\n{proc.stdout}{proc.stderr}")
        return proc

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(self.argv(*args), cwd=self.directory, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)

    def json(self, *args: str) -> tuple[int, dict[str, Any]]:
        proc = self.run(*args, env={"DOCKERFAB_OUTPUT": "json"})
        return proc.returncode, json.loads(proc.stdout)

    def container(self, host: str, config: str) -> dict[str, Any]:
        return dict(self.bed_api(host).inspect_container(f"{self.name}.{config}"))

    def audit(self, host: str) -> list[tuple[str, str]]:
        """(task, result) of this map's audit records on ``host``, oldest first."""
        _, doc = self.json("-H", host, "audit", "--map", self.name)
        return [(r["task"], r["result"]) for h in doc["hosts"] for r in h["result"]]

    def events(self, host: str, since: float, until: float) -> list[dict[str, Any]]:
        """The daemon's events that change this map's containers (create, start, stop,
        destroy...; not the health checks' exec events) in a time window."""
        api = self.bed_api(host)
        return [e for e in api.events(since=int(since), until=int(until) + 1, decode=True,
                                      filters={"type": "container"})
                if str((e.get("Actor") or {}).get("Attributes", {}).get("name", "")
                       ).startswith(self.name + ".") and e.get("status") in CHANGES]

    def wait_for_lock(self, host: str, timeout: float = 30.0) -> None:
        """Until a run holds this map's deploy lock on ``host``."""
        lock = f"{self.state_dir(host)}/lock/holder"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.host_shell(host, f"cat {lock} 2>/dev/null"):
                return
            time.sleep(0.1)
        raise AssertionError(f"no run took the lock of {self.name} on {host}")

    def host_audit(self, host: str, task: str) -> list[dict[str, Any]]:
        """The records of the host utility ``task`` in ``host``'s audit log that name
        this map among the maps they held."""
        _, doc = self.json("-H", host, "audit")
        return [r for h in doc["hosts"] for r in h["result"] or ()
                if r["task"] == task and self.name in (r.get("maps") or ())]

    def host_shell(self, host: str, command: str) -> str:
        with self.bed.host(host).ssh_client() as client:
            _, out, _ = client.exec_command(command)
            return str(out.read().decode())

    def cleanup(self) -> None:
        for host in self.hosts:
            api = self.bed_api(host)
            for c in api.containers(all=True, filters={"name": self.name}):
                api.remove_container(c["Id"], force=True)
            for image_id in self.image_ids:  # also the ones a newer build untagged
                with contextlib.suppress(docker.errors.APIError):  # not here, gone, in use
                    api.remove_image(image_id, force=True)
            with contextlib.suppress(docker.errors.NotFound):  # no run made it
                self.host_shell(host, f"rm -rf {self.state_root or self.state_dir(host)}")
