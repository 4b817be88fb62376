"""``run_script`` (spec 3.8.3): run a script or command in a fresh container of a
configuration, after starting its dependencies; collect log and exit code; clean up."""
from __future__ import annotations

import os
import posixpath
from typing import TYPE_CHECKING, Any

from dockerfab.errors import (
    ActionRunnerException,
    DockerFabError,
    ScriptActionException,
)
from dockerfab.map.input import ItemType, MapConfigId
from dockerfab.plan import actions as A
from dockerfab.plan.actions import Action, ActionResult
from dockerfab.plan.desired import DesiredStateBuilder
from dockerfab.plan.graph import expand_selection
from dockerfab.plan.model import map_clients

if TYPE_CHECKING:
    from dockerfab.engine.client import MappingDockerClient

DEFAULT_SCRIPT_DIR = "/tmp/script_run"


def _format(value: Any, script: str) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value.replace("{script_path}", script)
    return [str(v).replace("{script_path}", script) for v in value]


def run_script(mc: MappingDockerClient, container: Any, map_name: str | None = None,
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
    policy = mc.get_policy()
    ids = expand_selection(policy.container_maps, container, map_name,
                           [instance] if instance else None, mc.default_map)
    if len(ids) != 1:
        raise ScriptActionException(f"run_script needs exactly one container instance, "
                                    f"{container!r} gives {len(ids)}", action="script")
    cid = ids[0]
    results: list[ActionResult] = []
    deps = policy.get_dependencies(cid)
    if deps:
        mc.execute(mc._plan("startup", deps, None, None,
                            _options(kwargs)), results)

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
    from dockerfab.plan.options import ActionOptions

    extra = ActionOptions.from_kwargs(kwargs).extra
    if entrypoint is not None:
        extra["entrypoint"] = entrypoint
    if command_format is not None:
        extra["command"] = _format(command_format, in_container)
    cmap = policy.container_maps[cid.map_name]
    config = cmap.containers.get_existing(cid.config_name)
    output: dict[str, dict[str, Any]] = {}
    for client_name in map_clients(cmap, config):
        client = mc.docker_client(client_name)
        info = mc.client_info(client_name)
        desired = DesiredStateBuilder(cmap, info, extra).container(cid.config_name,
                                                                   cid.instance_name)
        if host_dir:
            desired.host_config.setdefault("binds", []).append(
                f"{host_dir}:{container_script_dir}:rw")
        name = desired.name
        runner = mc.runner([client_name])
        plan = []
        existing = client.containers(all=True, filters={"name": f"^/{name}$"})
        if existing:
            if not remove_existing_before:
                raise ScriptActionException(
                    f"container {name} exists; pass remove_existing_before=True to replace it",
                    results, host=client_name, action="script", item=name)
            plan.append(Action(A.REMOVE, name, client_name, ["remove_existing_before"], 0,
                               desired.config_id))
            if existing[0].get("State") == "running":
                plan.insert(0, Action(A.STOP, name, client_name, ["remove_existing_before"], 0,
                                      desired.config_id, {"timeout": desired.stop_timeout}))
        plan.append(Action(A.CREATE, name, client_name, ["script"], 1, desired.config_id,
                           {"desired": desired}))
        runner.verify_delay = 0
        runner.run(plan, results)
        created = results[-1].result["Id"]
        timeout = wait_timeout or desired.stop_timeout or info.timeout or 60
        try:
            client.start(created)
            try:
                status = client.wait(created, timeout=timeout)
            except Exception as exc:  # requests' ReadTimeout/ConnectionError: timed out
                output[client_name] = {"id": created,
                                       "error": f"script did not finish in {timeout}s: {exc}"}
                continue
            log = client.logs(created, stdout=True, stderr=False, timestamps=timestamps,
                              tail=tail).decode(errors="replace")
            output[client_name] = {"log": log, "exit_code": status.get("StatusCode"),
                                   "id": created}
        except DockerFabError:
            raise
        except Exception as exc:
            raise ActionRunnerException(str(exc), results, cause=exc, host=client_name,
                                        action="script", item=name) from exc
        if remove_after:
            client.remove_container(created, v=True, force=True)
    return output


def _options(kwargs: dict[str, Any]) -> Any:
    from dockerfab.plan.options import ActionOptions

    return ActionOptions.from_kwargs({k: v for k, v in kwargs.items()
                                      if k in ActionOptions.__dataclass_fields__})


__all__ = ["ItemType", "MapConfigId", "run_script"]
