"""Options over generated values: ``create_options``, ``host_config`` and an action's keyword
arguments merged into the keyword arguments the desired state generates (CLARIFICATIONS 2;
links as spec 3.7 says). Pure."""
from __future__ import annotations

from typing import Any

from dockerfab.functional import resolve_deep, resolve_value
from dockerfab.plan import convert
from dockerfab.plan.model import as_list


def resolve_options(value: Any) -> dict[str, Any]:
    """``create_options``/``host_config``: a dict, a callable returning one, or lazy."""
    value = resolve_value(value)
    if callable(value):
        value = value()
    return dict(resolve_deep(dict(value))) if value else {}


def merge_options(create: dict[str, Any], host: dict[str, Any], create_options: dict[str, Any],
                   host_options: dict[str, Any]) -> None:
    """Merge options over generated values: dicts merge, lists extend, scalars replace.
    Host-config keys in ``create_options`` go to the host config unless ``host_options``
    has the same key (CLARIFICATIONS 2)."""
    for key, value in create_options.items():
        if key in convert.HOST_CONFIG_KEYS:
            if key not in host_options:
                merge_key(host, key, value)
        elif key == "volumes":
            create["volumes"] = list(dict.fromkeys(as_list(create.get("volumes")) +
                                                   as_list(value)))
        elif key == "environment":
            merged = convert.env_dict(create.get("environment"))
            merged.update(convert.env_dict(value))
            create["environment"] = merged
        else:
            merge_key(create, key, value)
    for key, value in host_options.items():
        merge_key(host, key, value)


def merge_key(target: dict[str, Any], key: str, value: Any) -> None:
    """Merge one option into ``target`` (see :func:`merge_options` for the rules)."""
    current = target.get(key)
    if key == "links":
        target[key] = merge_links(current, value)
    elif key == "restart_policy":
        target[key] = value  # one policy: a name and its retry count belong together
    elif isinstance(current, dict) and isinstance(value, dict):
        target[key] = {**current, **value}
    elif isinstance(current, list) and isinstance(value, (list, tuple)):
        target[key] = list(dict.fromkeys(current + list(value)))
    else:
        target[key] = value


def link_pairs(links: Any) -> list[tuple[str, str]]:
    """SDK ``links`` (a dict container -> alias, a list of pairs, or ``'c:alias'`` strings)
    -> (container, alias) pairs."""
    if not links:
        return []
    items = links.items() if isinstance(links, dict) else links
    pairs = []
    for item in items:
        if isinstance(item, str):
            container, _, alias = item.partition(":")
        else:
            container = str(item[0])
            alias = str(item[1]) if len(item) > 1 and item[1] else ""
        pairs.append((container, alias or container))
    return pairs


def merge_links(current: Any, value: Any) -> list[tuple[str, str]]:
    """Links of ``host_config``/``create_options``/keyword arguments over generated ones: a
    container named there keeps only the aliases given there (spec 3.7), others merge."""
    given = link_pairs(value)
    override = {c for c, _ in given}
    merged = [pair for pair in link_pairs(current) if pair[0] not in override]
    return merged + list(dict.fromkeys(given))
