"""``show``: a loaded map as YAML, with ``extends`` merged and environment values hidden."""
from __future__ import annotations

from typing import Any

import yaml

HIDDEN = "<hidden>"


def hide_environment(value: Any, key: str = "", secrets: frozenset[str] | None = None) -> Any:
    """Plain map data with the values of every ``environment``, and every value that
    ``!env``/``!env_lazy`` read, replaced by ``<hidden>`` (names stay: what is set is
    useful, what it is set to may be a secret)."""
    from dockerfab.yaml import values_from_env

    secrets = values_from_env() if secrets is None else secrets
    if key == "environment":
        if isinstance(value, dict):
            return dict.fromkeys(value, HIDDEN)
        if isinstance(value, list):
            return [str(v).split("=", 1)[0] + "=" + HIDDEN for v in value]
        return HIDDEN
    if isinstance(value, dict):
        return {k: hide_environment(v, str(k), secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [hide_environment(v, "", secrets) for v in value]
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) \
            and str(value) in secrets:
        return HIDDEN
    return value


def plain_map(container_map: Any) -> Any:
    """A map as plain data for YAML (named tuples as mappings, lazy values resolved)."""
    from dockerfab.functional import resolve_deep

    data = container_map.get_extended_map().as_dict() if hasattr(
        container_map, "get_extended_map") else container_map.as_dict()
    return _to_plain(resolve_deep(data))


def _to_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: _to_plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple, set)):
        return [_to_plain(v) for v in value]
    if hasattr(value, "as_dict"):
        return _to_plain(value.as_dict())
    if hasattr(value, "value") and hasattr(value, "name"):  # enums
        return value.name
    return value


def map_yaml(container_map: Any, values: bool = False) -> str:
    """The text ``show`` prints for one map: a ``# map <name>`` line, then the YAML."""
    data = plain_map(container_map)
    text = yaml.safe_dump(data if values else hide_environment(data), sort_keys=False,
                          default_flow_style=False)
    return f"# map {container_map.name}\n{text}"
