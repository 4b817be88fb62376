"""dockerfab's YAML :class:`Loader`: PyYAML's safe loader with the tags ``!path``,
``!path_lazy``, ``!env`` and ``!env_lazy`` (and what they read), and duplicate keys rejected.
:mod:`dockerfab.yaml` loads maps and clients with it."""
from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import yaml as _yaml
from yaml.constructor import ConstructorError
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dockerfab.errors import MapError
from dockerfab.functional import lazy_once

MERGE_TAG = "tag:yaml.org,2002:merge"
_BaseLoader: type = getattr(_yaml, "CSafeLoader", _yaml.SafeLoader)


class YAMLTagError(ConstructorError):
    """A dockerfab tag or mapping was used wrongly (bad ``!env`` form, duplicate key, ...).

    A PyYAML error, so that ``yaml.load(..., Loader=dockerfab.yaml.Loader)`` reports it like
    any other; the ``load_*`` functions turn it into a :class:`MapError`.
    """

    def __init__(self, problem: str, mark: Mark | None, context: str | None = None,
                 context_mark: Mark | None = None) -> None:
        super().__init__(context, context_mark, problem, mark)


def expand_path(value: str) -> str:
    """``$VARS`` then ``~user`` expanded, in that order (``os.path.expandvars``, ``expanduser``)."""
    return os.path.expanduser(os.path.expandvars(value))


_PATH_VARIABLE = re.compile(r"\$(\w+|\{([^}]*)\})")


def unset_variables(value: str) -> list[str]:
    """The ``$NAME``/``${NAME}`` of ``value`` that the environment does not set."""
    names = [match.group(2) if match.group(2) is not None else match.group(1)
             for match in _PATH_VARIABLE.finditer(value)]
    return [name for name in dict.fromkeys(names) if name not in os.environ]


def _unset_message(tag: str, value: str, unset: list[str]) -> str:
    names = ", ".join(f"${name}" for name in unset)
    return (f"{tag} {value!r}: environment variable{'s' if len(unset) > 1 else ''} {names} "
            "not set (it would stay in the path literally)")


def expand_path_strictly(value: str, source: str | None = None, line: int | None = None,
                         tag: str = "!path_lazy") -> str:
    """:func:`expand_path`, but an unset variable is a MapError (``source``/``line``: where
    the tag was written), not left in the path for a host to stumble over."""
    unset = unset_variables(value)
    if unset:
        raise MapError(_unset_message(tag, value, unset), file=source, line=line)
    return expand_path(value)


_MISSING = object()


def config_value(config: Any, name: str) -> Any:
    """``name`` looked up in a Fabric/Invoke configuration (or any mapping): the key itself,
    else a dotted path through nested sections (``app.root`` -> ``config['app']['root']``).
    Sections come back as plain dicts; a missing name gives ``_MISSING``."""
    if config is None:
        return _MISSING
    for candidate in (name.split("."), [name]) if "." in name else ([name],):
        value = config
        for part in candidate:
            try:
                value = value[part]
            except (KeyError, TypeError, IndexError, AttributeError):
                value = _MISSING
                break
        if value is not _MISSING:
            return _plain(value)
    return _MISSING


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_from_env: set[str] = set()
_from_env_lock = threading.Lock()


def _read_from_env(value: Any) -> Any:
    """Remember a value ``!env``/``!env_lazy`` read (not a default written in the map)."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        with _from_env_lock:
            _from_env.add(str(value))
    return value


def values_from_env() -> frozenset[str]:
    """Every value ``!env``/``!env_lazy`` has read from the environment or the Fabric
    configuration in this process: output that shows map data (``show``) hides them."""
    with _from_env_lock:
        return frozenset(_from_env)


def read_env(name: str, has_default: bool = False, default: Any = None,
             source: str | None = None, line: int | None = None, config: Any = None) -> Any:
    """Value of environment variable ``name`` (for ``!env_lazy``), else of ``name`` in
    ``config`` (a Fabric/Invoke configuration); ``source``/``line`` say where the tag was
    written, for the error raised when neither has it and there is no default."""
    if name in os.environ:
        return _read_from_env(os.environ[name])
    value = config_value(config, name)
    if value is not _MISSING:
        return _read_from_env(value)
    if has_default:
        return default
    raise MapError(f"environment variable {name} is not set{_in_config(config)} "
                   f"(give a default with !env_lazy [{name}, default])",
                   file=source, line=line) from None


def _in_config(config: Any) -> str:
    return "" if config is None else " and not in the Fabric configuration"


class Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """dockerfab's YAML loader: PyYAML's safe loader (libyaml if available) plus the tags
    ``!path``, ``!path_lazy``, ``!env``, ``!env_lazy``, and duplicate keys rejected.

    Tags are registered on this class only. To add your own, subclass it and call
    ``MyLoader.add_constructor(tag, func)``, then pass ``loader=MyLoader`` to the ``load_*``
    functions.
    """

    #: Name of the input used in messages (file name, or ``<string>``).
    source_name: str = "<string>"
    #: Where ``!env`` looks after the OS environment: a Fabric/Invoke configuration (or any
    #: mapping), as Docker-Fabric read Fabric's ``env``; see :meth:`with_config`.
    env_config: Any = None

    @classmethod
    def with_config(cls, config: Any) -> type[Loader]:
        """A subclass of this loader whose ``!env``/``!env_lazy`` also read ``config``
        (after the OS environment), e.g. ``load_map_file(path,
        loader=Loader.with_config(c.config))`` in a Fabric task."""
        return type(cls.__name__, (cls,), {"env_config": config, "__module__": cls.__module__})

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            self._check_duplicate_keys(node)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    def _check_duplicate_keys(self, node: MappingNode) -> None:
        """PyYAML keeps the last of two equal keys; a map with such a typo is rejected."""
        seen: dict[Any, Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:
                continue  # unhashable key: PyYAML reports it itself
            if first is not key_node:
                raise YAMLTagError(
                    f"duplicate key {key!r} (first defined on line {first.start_mark.line + 1})",
                    key_node.start_mark, "while constructing a mapping", node.start_mark)


def _expand_each(loader: Loader, node: Node, convert: Callable[[str], Any]) -> Any:
    """Apply ``convert`` to a scalar, or to the first-level string items of a list or the
    first-level string values of a mapping (spec 3.9.4); anything else is kept."""
    if isinstance(node, ScalarNode):
        return convert(loader.construct_scalar(node))
    if isinstance(node, SequenceNode):
        items = loader.construct_sequence(node, deep=True)
        return [convert(item) if isinstance(item, str) else item for item in items]
    assert isinstance(node, MappingNode)
    mapping = loader.construct_mapping(node, deep=True)
    return {key: convert(value) if isinstance(value, str) else value
            for key, value in mapping.items()}


def _construct_path(loader: Loader, node: Node) -> Any:
    def expand(value: str) -> str:
        unset = unset_variables(value)
        if unset:
            raise YAMLTagError(_unset_message("!path", value, unset), node.start_mark)
        return expand_path(value)
    return _expand_each(loader, node, expand)


def _construct_path_lazy(loader: Loader, node: Node) -> Any:
    line = node.start_mark.line + 1
    return _expand_each(loader, node, lambda value: lazy_once(
        expand_path_strictly, value, loader.source_name, line))


_ENV_NAME = re.compile(r"[^\s=]+")


def _env_args(loader: Loader, node: Node, tag: str) -> tuple[str, bool, Any]:
    """(name, has_default, default) from ``!env NAME`` or ``!env [NAME, default]``."""
    usage = f"{tag} takes a variable name (`{tag} NAME`) or a name and a default (`{tag} [NAME, default]`)"
    if isinstance(node, ScalarNode):
        name, has_default, default = loader.construct_scalar(node), False, None
    elif isinstance(node, SequenceNode) and len(node.value) in (1, 2):
        items = loader.construct_sequence(node, deep=True)
        name, has_default = items[0], len(items) == 2
        default = items[1] if has_default else None
    else:
        raise YAMLTagError(usage, node.start_mark)
    if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
        raise YAMLTagError(f"{usage}; got {name!r}", node.start_mark)
    return name, has_default, default


def _construct_env(loader: Loader, node: Node) -> Any:
    name, has_default, default = _env_args(loader, node, "!env")
    if name in os.environ:
        return _read_from_env(os.environ[name])
    value = config_value(loader.env_config, name)
    if value is not _MISSING:
        return _read_from_env(value)
    if has_default:
        return default
    raise YAMLTagError(f"environment variable {name} is not set{_in_config(loader.env_config)} "
                       f"(give a default with !env [{name}, default])", node.start_mark)


def _construct_env_lazy(loader: Loader, node: Node) -> Any:
    name, has_default, default = _env_args(loader, node, "!env_lazy")
    return lazy_once(read_env, name, has_default, default, loader.source_name,
                     node.start_mark.line + 1, loader.env_config)


Loader.add_constructor("!path", _construct_path)
Loader.add_constructor("!path_lazy", _construct_path_lazy)
Loader.add_constructor("!env", _construct_env)
Loader.add_constructor("!env_lazy", _construct_env_lazy)
