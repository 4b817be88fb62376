"""YAML text of converted data: keys in the order built, block style, ``!env`` kept."""
from __future__ import annotations

from typing import Any

import yaml

from dockerfab.compose.importer import EnvRef


class _Dumper(yaml.SafeDumper):
    """Safe dumper that writes :class:`EnvRef` as ``!env NAME`` and never uses anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _env_ref(dumper: yaml.SafeDumper, ref: EnvRef) -> yaml.Node:
    return dumper.represent_scalar("!env", ref.name)


_Dumper.add_representer(EnvRef, _env_ref)


def dump(data: Any, header: list[str] | None = None) -> str:
    """``data`` as YAML; ``header`` lines become ``#`` comments at the top."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)
    lines = "".join(f"# {line}\n" if line else "#\n" for line in header or [])
    return lines + text
