"""Normalisers: one comparable form for a container option, whichever way it was written.

Each function takes an option's value either as the Docker SDK sends it (the Engine API
form that ``docker.types.HostConfig`` / ``ContainerConfig`` build from the map) or as
``inspect`` reports it after the daemon filled it in, and returns the same plain value for
both when they mean the same thing: ``None`` for "not set / the daemon's default",
otherwise hashable tuples and strings. Pure: no I/O.
"""
from __future__ import annotations

import json
import posixpath
import re
import signal as _signal
from collections.abc import Callable
from typing import Any

from dockerfab.plan.convert import parse_bytes

Normaliser = Callable[[Any], Any]


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {} or value == ()


def text(value: Any) -> str | None:
    """A string option; empty means unset."""
    return None if _empty(value) else str(value)


def lower_text(value: Any) -> str | None:
    """Case-insensitive strings (MAC addresses)."""
    result = text(value)
    return result.lower() if result is not None else None


def path(value: Any) -> str | None:
    """A container path: ``/tmp/`` and ``/tmp`` are the same (the daemon cleans it)."""
    result = text(value)
    return posixpath.normpath(result) if result is not None else None


def flag(value: Any) -> bool | None:
    """A switch whose default is off: ``False`` and unset are the same."""
    return True if value else None


def number(value: Any) -> int | None:
    """A number whose default is 0: 0 and unset are the same."""
    if _empty(value):
        return None
    result = int(value)
    return result or None


def integer(value: Any) -> int | None:
    """A number where 0 means something (``mem_swappiness``); only unset is unset."""
    return None if _empty(value) else int(value)


def positive(value: Any) -> int | None:
    """``pids_limit``: 0 and negative numbers mean unlimited, reported as unset."""
    result = None if _empty(value) else int(value)
    return result if result is not None and result > 0 else None


def size(value: Any) -> int | None:
    """Bytes: ``'64m'``, ``67108864`` and ``'65536k'`` are the same; 0 is the default."""
    if _empty(value):
        return None
    return parse_bytes(value) or None


def signal_name(value: Any) -> str | None:
    """``SIGTERM``, ``TERM``, ``sigterm``, ``15`` and 15 -> ``SIGTERM``."""
    if _empty(value):
        return None
    raw = str(value).strip().upper()
    if raw.isdigit():
        try:
            return _signal.Signals(int(raw)).name
        except ValueError:
            return raw
    return raw if raw.startswith("SIG") else "SIG" + raw


def capabilities(value: Any) -> tuple[str, ...] | None:
    """``net_admin``, ``NET_ADMIN`` and ``CAP_NET_ADMIN`` are one capability; order does not
    matter; ``ALL`` stays ``ALL``."""
    if _empty(value):
        return None
    names = set()
    for item in value:
        name = str(item).strip().upper()
        names.add(name if name == "ALL" or name.startswith("CAP_") else "CAP_" + name)
    return tuple(sorted(names))


def str_list(value: Any) -> tuple[str, ...] | None:
    """An ordered list of strings (``dns``: the order is the resolver order)."""
    return None if _empty(value) else tuple(str(v) for v in value)


def str_set(value: Any) -> tuple[str, ...] | None:
    """A list of strings whose order does not matter (``group_add``, ``dns_search`` ...)."""
    return None if _empty(value) else tuple(sorted({str(v) for v in value}))


def security_options(value: Any) -> tuple[str, ...] | None:
    """``label:disable`` is the old spelling of ``label=disable``; order does not matter."""
    if _empty(value):
        return None
    items = set()
    for item in value:
        key, sep, rest = str(item).partition(":")
        if sep and "=" not in key and key in ("label", "apparmor", "seccomp",
                                              "no-new-privileges"):
            item = f"{key}={rest}"
        items.add(str(item))
    return tuple(sorted(items))


#: security options the daemon adds by itself (with a host PID/IPC namespace or privileged)
DAEMON_SECURITY_OPTIONS = frozenset({"label=disable"})


def extra_hosts(value: Any) -> tuple[tuple[str, str], ...] | None:
    """``{'db': '10.0.0.2'}``, ``['db:10.0.0.2']`` and ``['db=10.0.0.2']`` are the same."""
    if _empty(value):
        return None
    if isinstance(value, dict):
        return tuple(sorted((str(host), str(address)) for host, address in value.items()))
    pairs = []
    for entry in value:
        match = re.match(r"([^:=]*)[:=](.*)", str(entry))
        pairs.append((match.group(1), match.group(2)) if match else (str(entry), ""))
    return tuple(sorted(pairs))


def ulimits(value: Any) -> tuple[tuple[str, int, int], ...] | None:
    """Ulimits as (name, soft, hard); the daemon reports an unset hard limit as 0."""
    if _empty(value):
        return None
    result = []
    for item in value:
        get = item.get if isinstance(item, dict) else (lambda key, _i=item: getattr(_i, key))

        def field(name: str, get: Any = get) -> Any:
            found = get(name)
            return found if found is not None else get(name.capitalize())
        result.append((str(field("name")), int(field("soft") or 0), int(field("hard") or 0)))
    return tuple(sorted(result))


def _mount_option(option: str) -> str:
    key, sep, rest = option.partition("=")
    if key == "size" and sep:
        try:
            return f"size={parse_bytes(rest)}"
        except ValueError:
            return option
    return option


def tmpfs(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """``{'/run': 'size=64m,mode=1777'}`` (or the list form) -> sorted (path, options);
    option order does not matter and sizes are bytes."""
    if _empty(value):
        return None
    if not isinstance(value, dict):
        value = dict(str(v).partition(":")[::2] for v in value)
    return tuple(sorted((posixpath.normpath(str(p)),
                         tuple(sorted(_mount_option(o) for o in str(opts or "").split(",")
                                      if o)))
                        for p, opts in value.items()))


def str_dict(value: Any) -> tuple[tuple[str, str], ...] | None:
    """A dict of strings (``sysctls``, ``storage_opt``); values compared as strings, and the
    ``['key=value']`` form is the same dict."""
    if _empty(value):
        return None
    if not isinstance(value, dict):
        value = dict(str(v).partition("=")[::2] for v in value)
    return tuple(sorted((str(k), "" if v is None else str(v)) for k, v in value.items()))


def log_config(value: Any) -> tuple[str, tuple[tuple[str, str], ...]] | None:
    """``{'type': ..., 'config': {...}}`` in either spelling -> (driver, options)."""
    if _empty(value):
        return None
    driver = value.get("Type", value.get("type")) or ""
    options = value.get("Config", value.get("config")) or {}
    return str(driver), str_dict(options) or ()


def devices(value: Any) -> tuple[tuple[str, str, str], ...] | None:
    """Devices as (host path, container path, permissions); permissions default ``rwm``."""
    if _empty(value):
        return None
    result = []
    for item in value:
        if isinstance(item, dict):
            host = item.get("PathOnHost", "")
            result.append((str(host), str(item.get("PathInContainer") or host),
                           str(item.get("CgroupPermissions") or "rwm")))
        else:
            parts = str(item).split(":")
            host = parts[0]
            result.append((host, parts[1] if len(parts) > 1 and parts[1] else host,
                           parts[2] if len(parts) > 2 and parts[2] else "rwm"))
    return tuple(sorted(result))


def _pruned(value: Any) -> Any:
    """Nested dicts/lists without the empty and false entries the daemon leaves out."""
    if isinstance(value, dict):
        pruned = {str(k): _pruned(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, False, "", [], {})}
    if isinstance(value, (list, tuple)):
        return [_pruned(v) for v in value]
    return value


def plain(value: Any) -> str | None:
    """Anything else (mounts, device requests, weight devices): its JSON without the empty
    and false entries; lists of objects in any order."""
    if _empty(value):
        return None
    pruned = _pruned(value)
    if isinstance(pruned, list):
        pruned = sorted(pruned, key=lambda v: json.dumps(v, sort_keys=True))
    return json.dumps(pruned, sort_keys=True) if pruned not in ([], {}) else None


#: healthcheck fields in the order they are shown
HEALTH_FIELDS = ("Test", "Interval", "Timeout", "StartPeriod", "Retries")


def healthcheck(value: Any) -> tuple[tuple[str, Any], ...] | None:
    """A health check as the fields that are set (0 means "the image's or the default")."""
    if _empty(value):
        return None
    fields: list[tuple[str, Any]] = []
    for name in HEALTH_FIELDS:
        found = value.get(name, value.get(_SNAKE[name]))
        if name == "Test":
            if isinstance(found, str):
                found = ["CMD-SHELL", found]
            if found:
                fields.append((name, tuple(str(t) for t in found)))
        elif found and name == "Retries":
            fields.append((name, int(found)))
        elif found:
            fields.append((name, duration_text(int(found))))
    return tuple(fields) or None


def duration_text(nanoseconds: int) -> str:
    """Nanoseconds in Docker's duration syntax: 90000000000 -> ``1m30s``."""
    if nanoseconds % 10 ** 9:
        return f"{nanoseconds / 10 ** 6:g}ms"
    seconds = nanoseconds // 10 ** 9
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{seconds}s" if seconds or not text else "")


_SNAKE = {"Test": "test", "Interval": "interval", "Timeout": "timeout",
          "StartPeriod": "start_period", "Retries": "retries"}


def health_test(test: Any) -> list[str] | None:
    """A health check test as the daemon runs it: a string is a shell command
    (``CMD-SHELL``), a plain command list gets the ``CMD`` prefix (the daemon ignores a test
    whose first word is not ``NONE``, ``CMD`` or ``CMD-SHELL``), ``NONE`` disables."""
    if test is None:
        return None
    if isinstance(test, str):
        return ["NONE"] if test.strip().upper() == "NONE" else ["CMD-SHELL", test]
    items = [str(t) for t in test]
    if not items:
        return items  # empty: the image's health check
    if items[0].upper() in ("NONE", "CMD", "CMD-SHELL"):
        return [items[0].upper(), *items[1:]]
    return ["CMD", *items]
