"""Variable substitution in Compose files: ``$VAR``, ``${VAR}``, ``${VAR:-default}``,
``${VAR-default}``, ``${VAR:?message}``, ``${VAR?message}`` and ``$$`` for a literal ``$``,
applied to every string of the file (keys included), as Compose does before reading it."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from dockerfab.errors import MapError

_PATTERN = re.compile(r"""
    \$(?:
        (?P<escaped>\$)
      | (?P<plain>[A-Za-z_][A-Za-z0-9_]*)
      | \{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}
      | (?P<invalid>)
    )""", re.VERBOSE)


def parse_env_file(text: str) -> dict[str, str]:
    """``KEY=value`` lines (``#`` comments, blank lines and ``export`` prefixes ignored;
    matching quotes around a value removed), as Compose reads ``env_file`` and ``.env``."""
    result: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not key:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        result[key] = value if sep else ""
    return result


def interpolate(data: Any, environ: Mapping[str, str],
                warn: Callable[[str], None] | None = None, path: str = "") -> Any:
    """``data`` with variables substituted in every string; an unset variable without a
    default becomes ``""`` and is reported through ``warn`` (Compose does the same)."""
    if isinstance(data, dict):
        return {interpolate(k, environ, warn, path): interpolate(v, environ, warn,
                                                                 f"{path}.{k}".lstrip("."))
                for k, v in data.items()}
    if isinstance(data, list):
        return [interpolate(v, environ, warn, f"{path}[{i}]") for i, v in enumerate(data)]
    if not isinstance(data, str) or "$" not in data:
        return data

    def replace(match: re.Match[str]) -> str:
        if match.group("escaped") is not None:
            return "$"
        if match.group("invalid") is not None:
            raise MapError(f"invalid interpolation in {data!r} (use $$ for a literal $)",
                           tuple(p for p in (path,) if p))
        name = match.group("plain") or match.group("braced")
        op, arg = match.group("op"), match.group("arg") or ""
        value = environ.get(name)
        if op in (":-", ":?") and not value or op in ("-", "?") and value is None:
            if op.endswith("?"):
                raise MapError(f"variable {name} is required: {arg or 'not set'}",
                               tuple(p for p in (path,) if p))
            return arg
        if value is None:
            if warn:
                warn(f"{path or 'file'}: variable {name} is not set; it becomes an empty "
                     f"string (as in Compose)")
            return ""
        return value

    return _PATTERN.sub(replace, data)
