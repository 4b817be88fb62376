"""``run_script`` (spec 3.8.3): run a script or command in a fresh container of a
configuration, after starting its dependencies; collect log and exit code; clean up."""
from __future__ import annotations

import os
import posixpath
from typing import Any, Protocol

from dockerfab.errors import (
    ActionRunnerException,
    DockerFabError,
)
from dockerfab.map.naming import container_name
from dockerfab.plan import actions as A
from dockerfab.plan.actions import Action, ActionResult
from dockerfab.plan.desired import ClientInfo
from dockerfab.plan.model import mget
from dockerfab.plan.options import ActionOptions
from dockerfab.plan.request import (
    MapView,
    Request,
    script_container,
    script_replacement,
)
from dockerfab.plan.snapshot import HostSnapshot

DEFAULT_SCRIPT_DIR = "/tmp/script_run"


class ScriptEngine(Protocol):
    """What ``run_script`` needs of a MappingDockerClient (its public planning steps)."""

    def view(self) -> MapView: ...

    def request(self, action: str, container: Any = None, instances: Any = None,
                map_name: str | None = None, options: ActionOptions | None = None,
                view: MapView | None = None) -> Request: ...

    def observe(self, request: Request) -> dict[str, HostSnapshot]: ...

    def execute(self, plan: list[Action], results: list[ActionResult] | None = None
                ) -> list[ActionResult]: ...

    def docker_client(self, client_name: str) -> Any: ...

    def client_info(self, client_name: str) -> ClientInfo: ...


def _format(value: Any, script: str) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value.replace("{script_path}", script)
    return [str(v).replace("{script_path}", script) for v in value]


def run_script(mc: ScriptEngine, container: Any, map_name: str | None = None,
               instance: str | None = None, *, script_path: str | None = None,
               entrypoint: Any = None, command_format: Any = None,
               wait_timeout: float | None = None,
               container_script_dir: str = DEFAULT_SCRIPT_DIR, timestamps: bool = False,
               tail: Any = "all", remove_existing_before: bool = False,
               remove_existing_after: bool | None = None,
               remove_created_after: bool | None = None, **kwargs: Any
               ) -> dict[str, dict[str, Any]]:
    """Returns ``{client_name: {'log', 'exit_code', 'id'}}``, or ``{'id', 'error'}`` for a
    client where waiting timed out (the container is then left in place)."""
    remove_after = True
    for value in (remove_existing_after, remove_created_after):  # CLARIFICATIONS 8
        if value is not None:
            remove_after = bool(value)
    view = mc.view()
    cid = script_container(view, container, map_name, instance)
    results: list[ActionResult] = []
    deps = view.dependencies(cid)
    if deps:
        startup = ActionOptions.from_kwargs(kwargs)
        startup.extra = {}  # script arguments are for the script's container only
        request = mc.request("startup", deps, options=startup, view=view)
        mc.execute(request.plan(mc.observe(request)), results)

    if script_path:
        # a directory: trailing slash, an existing local directory (local daemon), or no
        # file extension (the path is on the Docker host, which may be remote)
        if script_path.endswith("/") or os.path.isdir(script_path) or (
                not os.path.exists(script_path) and not os.path.splitext(script_path)[1]):
            host_dir, in_container = script_path.rstrip("/"), container_script_dir
        else:
            host_dir = posixpath.dirname(script_path)
            in_container = posixpath.join(container_script_dir, posixpath.basename(script_path))
    else:
        host_dir, in_container = None, container_script_dir
    options = ActionOptions.from_kwargs(kwargs)
    extra = options.extra
    if entrypoint is not None:
        extra["entrypoint"] = entrypoint
    if command_format is not None:
        extra["command"] = _format(command_format, in_container)
    if host_dir:
        extra["binds"] = [f"{host_dir}:{container_script_dir}:rw"]
    config = view.maps[cid.map_name].containers.get_existing(cid.config_name)
    name = container_name(cid.map_name, cid.config_name, cid.instance_name)

    # an existing container of the configuration: refused, or removed first; then it is
    # created like ``create`` would (image, networks, attached volumes included)
    request = mc.request("create", [cid], options=options, view=view)
    removal, snapshots = script_replacement(request, mc.observe(request), name,
                                            remove_existing_before, 0, results)
    if removal:
        mc.execute(removal, results)
    created_from = len(results)
    mc.execute(request.plan(snapshots), results)
    created = {r.client: r.result["Id"] for r in results[created_from:]
               if r.kind == A.CREATE and r.item == name}

    output: dict[str, dict[str, Any]] = {}
    for client_name, container_id in created.items():
        client = mc.docker_client(client_name)
        info = mc.client_info(client_name)
        stop_timeout = mget(config, "stop_timeout")
        timeout = wait_timeout or stop_timeout or info.stop_timeout or info.timeout or 60
        try:
            client.start(container_id)
            try:
                status = client.wait(container_id, timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - requests' ReadTimeout/ConnectionError
                output[client_name] = {"id": container_id,
                                       "error": f"script did not finish in {timeout}s: {exc}"}
                continue
            log = client.logs(container_id, stdout=True, stderr=False, timestamps=timestamps,
                              tail=tail).decode(errors="replace")
            output[client_name] = {"log": log, "exit_code": status.get("StatusCode"),
                                   "id": container_id}
            if remove_after:
                client.remove_container(container_id, v=True, force=True)
        except DockerFabError:
            raise
        except Exception as exc:
            raise ActionRunnerException(str(exc), results, cause=exc, host=client_name,
                                        action="script", item=name) from exc
    return output


__all__ = ["ScriptEngine", "run_script"]
