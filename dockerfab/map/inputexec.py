"""Converters of ``exec_commands``, ``healthcheck``, ``user`` and ``permissions`` input.
"""
from __future__ import annotations

import re
from typing import Any

from dockerfab.errors import MapError
from dockerfab.map.inputtypes import (
    ExecCommand,
    ExecPolicy,
    HealthCheck,
)
from dockerfab.map.inputvalues import (
    LIST_TYPES,
    convert_items,
    from_fields,
    has_fields,
    is_value,
)

# --- exec_commands -----------------------------------------------------------------------

def exec_policy(value: Any, path: tuple[str | int, ...] = ()) -> ExecPolicy:
    """ExecPolicy, or its value/name as a string ('restart', 'INITIAL')."""
    if value is None:
        return ExecPolicy.RESTART
    if isinstance(value, ExecPolicy):
        return value
    if isinstance(value, str):
        for policy in ExecPolicy:
            if value.strip().lower() in (policy.value, policy.name.lower()):
                return policy
    raise MapError(f"invalid exec policy {value!r} (use 'restart' or 'initial'); a command "
                   f"given as a list must be nested: [['/bin/sh', '-c', '...'], 'user']", path)


def _command(value: Any, path: tuple[str | int, ...]) -> Any:
    if isinstance(value, LIST_TYPES):
        if not value:
            raise MapError("empty command", path)
        return [str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                for v in value]
    if not is_value(value) or value == "":
        raise MapError(f"expected a command line or list, got {value!r}", path)
    return value


def _exec_item(item: Any, path: tuple[str | int, ...]) -> list[ExecCommand]:
    if isinstance(item, dict):
        if not has_fields(item, ExecCommand, ("cmd",)):
            raise MapError(f"expected cmd, user and policy, got {item!r}", path)
        item = from_fields(ExecCommand, item, path)
    if isinstance(item, LIST_TYPES):
        if not 1 <= len(item) <= 3:
            raise MapError(f"expected command, (command, user) or (command, user, policy), "
                           f"got {item!r}", path)
        cmd, user, policy = (tuple(item) + (None, None))[:3]
        policy = exec_policy(policy, path)  # first: a flat command list fails here
        return [ExecCommand(_command(cmd, path), get_user(user, path), policy)]
    return [ExecCommand(_command(item, path))]


def get_exec_commands(value: Any) -> list[ExecCommand]:
    """``exec_commands`` input -> ExecCommand(cmd, user, policy).

    A list is a list of commands. Only if that reading fails, a list whose first item is a
    command list is read as one ``(cmd, user[, policy])`` entry: this is how the YAML block
    notation of spec 3.9.1 (``- [/bin/bash, -c, script.sh]`` then ``- root``) arrives.
    """
    try:
        return convert_items(value, _exec_item, lambda k, v, p: _exec_item((k, v), p)[0],
                      lambda v: has_fields(v, ExecCommand, ("cmd",)))
    except MapError:
        if (isinstance(value, LIST_TYPES) and 2 <= len(value) <= 3
                and isinstance(value[0], LIST_TYPES) and value[0]
                and all(isinstance(v, str) for v in value[0])):
            try:
                return _exec_item(tuple(value), ())
            except MapError:
                pass
        raise


# --- healthcheck -------------------------------------------------------------------------

_DURATION_RE = re.compile(r"(?:(\d+(?:\.\d+)?)(h|ms|m|s|us|ns))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|ns)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def parse_duration(value: Any, path: tuple[str | int, ...] = ()) -> float | None:
    """Seconds from a number or a Docker duration string ('30s', '1m30s', '500ms')."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if isinstance(value, str) and _DURATION_RE.fullmatch(value.strip()):
        return sum(float(n) * _UNITS[u] for n, u in _DURATION_PART.findall(value))
    raise MapError(f"invalid duration {value!r} (seconds, or a string like '30s' or '1m30s')",
                   path)


def get_healthcheck(value: Any) -> HealthCheck | None:
    """``healthcheck`` input -> HealthCheck or None. A dict uses the field names; a string or
    a list of strings is the test (``['CMD', ...]``); other sequences are positional."""
    if value is None:
        return None
    if isinstance(value, dict):
        value = from_fields(HealthCheck, value, ())
    elif isinstance(value, str) or (isinstance(value, list) and all(
            isinstance(v, str) for v in value)):
        value = HealthCheck(value)
    elif isinstance(value, tuple) and not isinstance(value, HealthCheck):
        if not 1 <= len(value) <= 5:
            raise MapError(f"expected (test, interval, timeout, retries, start_period), "
                           f"got {value!r}")
        value = HealthCheck(*value)
    if not isinstance(value, HealthCheck):
        raise MapError(f"invalid healthcheck {value!r}")
    test = value.test
    if isinstance(test, LIST_TYPES):
        if not test or not all(isinstance(t, str) for t in test):
            raise MapError(f"invalid healthcheck test {test!r}", ("test",))
        test = list(test)
    elif not is_value(test):
        raise MapError(f"invalid healthcheck test {test!r}", ("test",))
    for name in ("interval", "timeout", "start_period"):
        parse_duration(getattr(value, name), (name,))
    retries = value.retries
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int)
                                or retries < 0):
        raise MapError(f"invalid retries {retries!r} (a whole number)", ("retries",))
    return value._replace(test=test)


# --- user and permissions ----------------------------------------------------------------

_USER_PART = r"[A-Za-z0-9_][A-Za-z0-9_.-]*\$?"
_USER_RE = re.compile(rf"{_USER_PART}(:{_USER_PART})?")


def get_user(value: Any, path: tuple[str | int, ...] = ()) -> Any:
    """User for ``user``/chown: uid (int >= 0), 'name', 'uid:gid', 'name:group', or lazy;
    None means unset. Returned as given (validated)."""
    if value is None or (is_value(value) and not isinstance(value, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise MapError(f"invalid user id {value!r}", path)
        return value
    if isinstance(value, str) and _USER_RE.fullmatch(value):
        return value
    raise MapError(f"invalid user {value!r} (a name or id, optionally ':group')", path)


_SYMBOLIC_RE = re.compile(r"[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+")
_OCTAL_RE = re.compile(r"0?[0-7]{3,4}|0o[0-7]{1,4}")


def get_permissions(value: Any, path: tuple[str | int, ...] = ()) -> Any:
    """chmod mode: symbolic ('u=rwX,g=rX,o=') or octal ('0750', '750'); an int is the mode
    value itself (0o750, YAML ``0750``) and is returned as an octal string. Lazy kept."""
    if value is None or (is_value(value) and not isinstance(value, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 0o7777:
            raise MapError(f"invalid permission mode {value!r}", path)
        return format(value, "04o")
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if _OCTAL_RE.fullmatch(text):
            return text.replace("0o", "0")
        if all(_SYMBOLIC_RE.fullmatch(part) for part in text.split(",")):
            return text
    raise MapError(f"invalid permissions {value!r} (chmod symbolic like 'u=rwX,g=rX,o=' "
                   f"or octal like '0750')", path)
