"""Option values in the forms the Docker SDK accepts (pure).

Maps write some options the way the Docker CLI or Compose does (``ulimits`` as a dict,
``sysctls`` as ``key=value`` strings, a restart policy as ``on-failure:3``, a health check
test without ``CMD``); the SDK refuses those or passes them on in a form the daemon rejects
or, worse, ignores. :func:`accepted_forms` rewrites them in place, before the container is
created and before it is compared, so both see the same value.
"""
from __future__ import annotations

from typing import Any

from dockerfab.plan import convert, normalize

_SINGLE_TO_LIST = ("dns", "dns_search", "dns_opt", "cap_add", "cap_drop", "security_opt",
                   "group_add", "device_cgroup_rules")


def accepted_forms(create: dict[str, Any], host: dict[str, Any]) -> None:
    """Rewrite the values of ``create`` (create_container kwargs) and ``host``
    (create_host_config kwargs) that the SDK would refuse or send in a useless form."""
    for key in _SINGLE_TO_LIST:
        if isinstance(host.get(key), str):
            host[key] = [host[key]]
    if host.get("ulimits") is not None:
        host["ulimits"] = ulimit_list(host["ulimits"])
    if isinstance(host.get("sysctls"), (list, tuple)):
        host["sysctls"] = dict(_key_value(item) for item in host["sysctls"])
    if isinstance(host.get("extra_hosts"), (list, tuple)):
        # 'host=ip' (newer Docker CLIs) is refused by older daemons; 'host:ip' works on all
        host["extra_hosts"] = [_host_entry(str(e)) for e in host["extra_hosts"]]
    if isinstance(host.get("restart_policy"), str):
        host["restart_policy"] = restart_policy_dict(host["restart_policy"])
    if isinstance(host.get("log_config"), dict):
        host["log_config"] = _log_config(host["log_config"])
    if isinstance(create.get("healthcheck"), dict):
        create["healthcheck"] = health_dict(create["healthcheck"])


def label_dict(labels: Any) -> dict[str, str]:
    """``{'a': 1}``, ``['a=1', 'b']`` -> ``{'a': '1', 'b': ''}`` (strings, as Docker keeps
    them)."""
    if not labels:
        return {}
    if isinstance(labels, dict):
        return {str(k): "" if v is None else str(v) for k, v in labels.items()}
    return dict(_key_value(str(item)) for item in labels)


def ulimit_list(value: Any) -> list[dict[str, Any]]:
    """``{'nofile': 1024}``, ``{'nofile': {'soft': 1024, 'hard': 2048}}``,
    ``['nofile=1024:2048']`` or SDK ulimits -> SDK ulimits (dicts)."""
    if isinstance(value, dict):
        items = []
        for name, limit in value.items():
            if isinstance(limit, dict):
                items.append({"name": str(name), "soft": limit.get("soft"),
                              "hard": limit.get("hard")})
            else:
                items.append({"name": str(name), "soft": int(limit), "hard": int(limit)})
        return items
    result = []
    for item in value or ():
        if isinstance(item, str):
            name, _, limits = item.partition("=")
            soft, _, hard = limits.partition(":")
            result.append({"name": name, "soft": int(soft), "hard": int(hard or soft)})
        else:
            result.append(item)
    return result


def restart_policy_dict(value: str) -> dict[str, Any]:
    """``'on-failure:3'`` -> ``{'Name': 'on-failure', 'MaximumRetryCount': 3}``."""
    name, _, count = value.partition(":")
    return {"Name": name, "MaximumRetryCount": int(count or 0)}


def health_dict(value: dict[str, Any]) -> dict[str, Any]:
    """An SDK health check dict (either spelling) with a test the daemon runs (``CMD``
    prefix) and durations in nanoseconds (Docker duration strings such as ``'30s'`` are
    converted; numbers are nanoseconds, as the SDK documents)."""
    result: dict[str, Any] = {}
    for key in ("test", "interval", "timeout", "retries", "start_period"):
        found = value.get(key, value.get("".join(p.capitalize() for p in key.split("_"))))
        if found is None:
            continue
        if key == "test":
            found = normalize.health_test(found)
        elif key != "retries" and isinstance(found, str):
            found = convert.duration_ns(found)
        result[key] = found
    return result


def _log_config(value: dict[str, Any]) -> dict[str, Any]:
    """Compose's ``driver``/``options`` spelling -> the SDK's ``type``/``config``."""
    if "driver" in value or "options" in value:
        return {"type": value.get("driver"), "config": dict(value.get("options") or {})}
    return value


def _key_value(item: Any) -> tuple[str, str]:
    key, _, value = str(item).partition("=")
    return key, value


def _host_entry(entry: str) -> str:
    host, sep, address = entry.partition("=")
    return f"{host}:{address}" if sep and ":" not in host else entry
