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
from dockerfab.map.select import expand_selection
from dockerfab.plan import actions as A
from dockerfab.plan.actions import Action, ActionResult
from dockerfab.plan.model import map_clients, mget
from dockerfab.plan.options import ActionOptions

if TYPE_CHECKING:
    from dockerfab.engine.client import MappingDockerClient

DEFAULT_SCRIPT_DIR = "/tmp/script_run"


def _format(value: Any, script: str) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value.replace("{script_path}", script)
    return [str(v).replace("{script_path}", script) for v in value]


def script_container(mc: MappingDockerClient, container: Any, map_name: str | None,
                     instance: str | None) -> MapConfigId:
    """The one container instance a script runs in; ScriptActionException if the selection
    gives none or several."""
    policy = mc.get_policy()
    ids = expand_selection(policy.container_maps, container, map_name,
                           [instance] if instance else None, mc.default_map)
    if len(ids) != 1:
        raise ScriptActionException(f"run_script needs exactly one container instance, "
                                    f"{container!r} gives {len(ids)}", action="script")
    return ids[0]


def replace_existing(mc: MappingDockerClient, cid: MapConfigId, remove_existing_before: bool,
                     step: int, results: list[ActionResult] | None = None) -> list[Action]:
    """Stop (if running) and remove a container of the script container's name on each
    client where one exists (one list call per client); without ``remove_existing_before``
    such a container is refused with ScriptActionException carrying ``results``."""
    policy = mc.get_policy()
    cmap = policy.container_maps[cid.map_name]
    name = policy.cname(cid.map_name, cid.config_name, cid.instance_name)
    why = ["remove_existing_before"]
    actions: list[Action] = []
    for client_name in map_clients(cmap, cmap.containers.get_existing(cid.config_name)):
        existing = mc.docker_client(client_name).containers(
            all=True, filters={"name": f"^/{name}$"})
        if not existing:
            continue
        if not remove_existing_before:
            raise ScriptActionException(
                f"container {name} exists; pass remove_existing_before=True to replace it",
                results, host=client_name, action="script", item=name)
        if existing[0].get("State") == "running":
            actions.append(Action(A.STOP, name, client_name, why, step, cid))
        actions.append(Action(A.REMOVE, name, client_name, why, step, cid))
    return actions


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
    cid = script_container(mc, container, map_name, instance)
    results: list[ActionResult] = []
    deps = policy.get_dependencies(cid)
    if deps:
        startup = ActionOptions.from_kwargs(kwargs)
        startup.extra = {}  # script arguments are for the script's container only
        mc.execute(mc._plan("startup", deps, None, None, startup), results)

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
    cmap = policy.container_maps[cid.map_name]
    config = cmap.containers.get_existing(cid.config_name)
    name = policy.cname(cid.map_name, cid.config_name, cid.instance_name)

    # an existing container of the configuration: refused, or removed first
    removal = replace_existing(mc, cid, remove_existing_before, 0, results)
    if removal:
        mc.execute(removal, results)
    # create it like ``create`` would (image, networks, attached volumes included)
    created_from = len(results)
    mc.execute(mc._plan("create", [cid], None, None, options), results)
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


__all__ = ["ItemType", "MapConfigId", "replace_existing", "run_script", "script_container"]
