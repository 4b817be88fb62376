"""Releases as plain data (pure): what a container looked like, what changed between two
releases, and what a rollback to a release has to do.

A *container record* is taken from ``docker inspect`` and holds what re-creating the
container exactly needs: its name and id, the image name and id, whether it ran, and the
creation body (``config``: the ``Config`` section, ``host_config``, and the endpoint
settings of every network it is connected to). A *release* is a dict::

    {"id", "time", "who", "task", "map", "host", "note", "containers": [record, ...]}
"""
from __future__ import annotations

import graphlib
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dockerfab.rollout.holder import utc_stamp, who

#: Networks that take no endpoint settings (and no connect) when re-creating.
_BUILTIN_NETWORKS = ("bridge", "host", "none", "default")


def new_release_id(seconds: float | None = None) -> str:
    """``20261201T092511Z-3fa2``: sorts by time; one id for a whole rollout."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(seconds))
    return f"{stamp}-{secrets.token_hex(2)}"


def container_record(inspect: Mapping[str, Any]) -> dict[str, Any]:
    """The record of one container from its ``inspect_container`` data."""
    cid = str(inspect.get("Id") or "")
    config = dict(inspect.get("Config") or {})
    if config.get("Hostname") == cid[:12]:
        config.pop("Hostname")  # Docker's default (the id): a new container gets its own
    networks: dict[str, Any] = {}
    for net, endpoint in ((inspect.get("NetworkSettings") or {}).get("Networks") or {}).items():
        endpoint = endpoint or {}
        aliases = [a for a in endpoint.get("Aliases") or () if a != cid[:12]]
        networks[net] = {"IPAMConfig": endpoint.get("IPAMConfig") or None,
                         "Links": endpoint.get("Links") or None,
                         "Aliases": aliases or None,
                         "DriverOpts": endpoint.get("DriverOpts") or None}
    state = inspect.get("State") or {}
    return {
        "name": str(inspect.get("Name") or "").lstrip("/"),
        "id": cid,
        "image": str(config.get("Image") or ""),
        "image_id": str(inspect.get("Image") or ""),
        "running": bool(state.get("Running")),
        "config": config,
        "host_config": dict(inspect.get("HostConfig") or {}),
        "networks": networks,
    }


def make_release(release_id: str, task: str, map_name: str, host: str,
                 records: Iterable[Mapping[str, Any]], note: str = "") -> dict[str, Any]:
    return {"id": release_id, "time": utc_stamp(), "who": who(), "task": task,
            "map": map_name, "host": host, "note": note,
            "containers": sorted((dict(r) for r in records), key=lambda r: r["name"])}


def same_state(records: Sequence[Mapping[str, Any]], release: Mapping[str, Any] | None
               ) -> bool:
    """Whether ``records`` (observed now) are the containers ``release`` recorded: the same
    containers (ids) on the same images."""
    if release is None:
        return not records
    def key(rs: Iterable[Mapping[str, Any]]) -> set[tuple[str, str, str]]:
        return {(str(r["name"]), str(r["id"]), str(r["image_id"])) for r in rs}
    return key(records) == key(release.get("containers") or ())


# --- differences ---------------------------------------------------------------------------

def _env_names(env: Any) -> dict[str, str]:
    return {str(e).partition("=")[0]: str(e).partition("=")[2] for e in env or ()}


def option_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Names of what differs between two container records: ``image``, ``Config.<key>``,
    ``HostConfig.<key>``, ``network <name>``; for ``Env`` the names of the variables whose
    values differ (never the values)."""
    changes: list[str] = []
    if old.get("image_id") != new.get("image_id") or old.get("image") != new.get("image"):
        changes.append("image")
    for section, label in (("config", "Config"), ("host_config", "HostConfig")):
        a, b = old.get(section) or {}, new.get(section) or {}
        for key in sorted(set(a) | set(b)):
            if key == "Image" or a.get(key) == b.get(key):
                continue
            if key == "Env":
                ea, eb = _env_names(a.get(key)), _env_names(b.get(key))
                names = sorted(n for n in set(ea) | set(eb) if ea.get(n) != eb.get(n))
                changes.append(f"{label}.Env({', '.join(names)})")
            else:
                changes.append(f"{label}.{key}")
    na, nb = old.get("networks") or {}, new.get("networks") or {}
    changes.extend(f"network {n}" for n in sorted(set(na) | set(nb)) if na.get(n) != nb.get(n))
    return changes


def release_diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """What changed from ``old`` to ``new``, one line per container: added, removed, or
    which options changed. An empty list: the same configuration."""
    before = {r["name"]: r for r in (old or {}).get("containers") or ()}
    after = {r["name"]: r for r in new.get("containers") or ()}
    lines = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            lines.append(f"+ {name} ({_image_text(after[name])})")
        elif name not in after:
            lines.append(f"- {name}")
        else:
            changed = option_changes(before[name], after[name])
            if changed:
                lines.append(f"~ {name}: {', '.join(changed)}")
    return lines


def _image_text(record: Mapping[str, Any]) -> str:
    short = str(record.get("image_id") or "").split(":")[-1][:12]
    return f"{record.get('image')} {short}".strip()


# --- rollback ------------------------------------------------------------------------------

@dataclass
class Step:
    """One thing a rollback does to a container: ``remove`` (not in the release),
    ``recreate`` (differs or is missing), or ``keep`` (already as recorded)."""
    kind: str
    name: str
    reasons: list[str] = field(default_factory=list)
    record: dict[str, Any] | None = None  # the release's record (recreate, keep)

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.kind, "item": self.name, "reasons": list(self.reasons)}


def dependencies(record: Mapping[str, Any]) -> set[str]:
    """Containers this one needs at creation: links, ``volumes_from``, a
    ``container:<name>`` network mode (names as Docker records them)."""
    host = record.get("host_config") or {}
    deps = set()
    for link in host.get("Links") or ():
        deps.add(str(link).split(":", 1)[0].strip("/"))
    for source in host.get("VolumesFrom") or ():
        deps.add(str(source).split(":", 1)[0])
    mode = str(host.get("NetworkMode") or "")
    if mode.startswith("container:"):
        deps.add(mode.split(":", 1)[1])
    return deps


def creation_order(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """Names in an order that creates every container after the ones it needs."""
    by_name = {str(r["name"]): r for r in records}
    ids = {str(r.get("id")): n for n, r in by_name.items()}
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in sorted(by_name):
        deps = {ids.get(d, d) for d in dependencies(by_name[name])}
        sorter.add(name, *sorted(d for d in deps if d in by_name))
    return list(sorter.static_order())


def rollback_steps(current: Iterable[Mapping[str, Any]], target: Mapping[str, Any],
                   selected: set[str] | None = None) -> list[Step]:
    """What bringing the containers back to ``target`` takes (pure). ``selected``: only
    these container names (and what depends on them), else every container of the map.
    Removals come first, then the release's containers in creation order."""
    now = {str(r["name"]): r for r in current}
    wanted = {str(r["name"]): dict(r) for r in target.get("containers") or ()}
    in_scope = set(wanted) | set(now) if selected is None else set(selected)
    rid = target.get("id")
    steps = [Step("remove", n, [f"not in release {rid}"]) for n in sorted(now)
             if n in in_scope and n not in wanted]
    recreated: set[str] = set()
    for name in creation_order(wanted.values()):
        record = wanted[name]
        reasons: list[str] = []
        if name in now:
            if name in in_scope and now[name].get("id") != record.get("id"):
                changes = option_changes(now[name], record)
                if changes:
                    reasons.append("differs from release " + str(rid) + ": "
                                   + ", ".join(changes) + _image_note(now[name], record))
        elif name in in_scope:
            reasons.append(f"missing (release {rid} has it)")
        needed = sorted(d for d in dependencies(record) if d in recreated)
        if needed and name in now:
            reasons.append("depends on " + ", ".join(needed) + " (re-created)")
        if reasons:
            recreated.add(name)
            steps.append(Step("recreate", name, reasons, record))
        elif name in in_scope:
            steps.append(Step("keep", name, ["as in release " + str(rid)], record))
    return steps


def _image_note(now: Mapping[str, Any], record: Mapping[str, Any]) -> str:
    if now.get("image_id") == record.get("image_id"):
        return ""
    return f" (image {_image_text(now)} -> {_image_text(record)})"


def creation_body(record: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``POST /containers/create`` body of a record and the further networks to
    connect afterwards (name -> endpoint settings): the API takes one network at create."""
    config = dict(record.get("config") or {})
    host = dict(record.get("host_config") or {})
    config["Image"] = record.get("image") or record.get("image_id")
    config["HostConfig"] = host
    networks = {n: {k: v for k, v in (e or {}).items() if v}
                for n, e in (record.get("networks") or {}).items()}
    mode = str(host.get("NetworkMode") or "default")
    first = mode if mode in networks else None
    if first and first not in _BUILTIN_NETWORKS:
        config["NetworkingConfig"] = {"EndpointsConfig": {first: networks[first]}}
    later = {n: e for n, e in networks.items()
             if n != first and n not in _BUILTIN_NETWORKS and not mode.startswith("container:")}
    return config, later


def needed_images(releases: Iterable[Mapping[str, Any]]) -> set[str]:
    """Image ids that the given releases need kept."""
    return {str(c["image_id"]) for r in releases for c in r.get("containers") or ()
            if c.get("image_id")}
