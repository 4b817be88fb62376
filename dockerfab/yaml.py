"""Container maps and client configurations from YAML (spec 3.9).

dockerfab reads YAML with its own :class:`Loader` (a safe loader; PyYAML's global loaders are
left untouched), which adds the tags ``!path``, ``!path_lazy``, ``!env`` and ``!env_lazy``,
rejects duplicate keys, and remembers the line of every key and list item. Every failure,
in the YAML itself or in the map built from it, raises :class:`dockerfab.errors.MapError`
whose ``str()`` names the file, the line and the key path::

    site.yaml:14: app_server.binds[1]: unknown volume alias 'app_dta' (did you mean 'app_data'?)
"""
from __future__ import annotations

import codecs
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import IO, TYPE_CHECKING, Any

import yaml as _yaml
from yaml.constructor import ConstructorError
from yaml.error import Mark, MarkedYAMLError
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    MappingStartEvent,
    NodeEvent,
    ScalarEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from dockerfab.errors import KeyPath, MapError
from dockerfab.functional import lazy_once

if TYPE_CHECKING:
    from dockerfab.map.container import ContainerMap

__all__ = [
    "Loader",
    "YAMLTagError",
    "config_value",
    "expand_path",
    "load_clients",
    "load_clients_file",
    "load_document",
    "load_map",
    "load_map_file",
    "read_env",
    "values_from_env",
]

Stream = str | bytes | IO[str] | IO[bytes]
Path = tuple[Any, ...]

_MERGE_TAG = "tag:yaml.org,2002:merge"
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
            if key_node.tag == _MERGE_TAG:
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


class _Positions:
    """Where each key path of a loaded document was written: the line of every mapping key
    and list item, taken from the composed node tree (so the data stays plain dicts/lists)."""

    def __init__(self) -> None:
        self.lines: dict[Path, int] = {(): 1}
        self.keys: dict[Path, list[Any]] = {}
        self.by_mark: dict[tuple[int, int], Path] = {}
        #: collections walked: each node once, however often aliases repeat it
        self.walked: set[int] = set()
        #: nodes looked at by the walk (at most the nodes written plus one per alias)
        self.visited = 0

    @classmethod
    def build(cls, loader: Loader, root: Node) -> _Positions:
        positions = cls()
        positions.lines[()] = root.start_mark.line + 1
        positions._walk(loader, root, (), set())
        return positions

    def _note(self, node: Node, path: Path) -> None:
        self.by_mark.setdefault((node.start_mark.line, node.start_mark.column), path)

    def _walk(self, loader: Loader, node: Node, path: Path, active: set[int]) -> None:
        self.visited += 1
        self._note(node, path)
        if id(node) in active:  # an alias inside its own anchor
            return
        if isinstance(node, (SequenceNode, MappingNode)):
            if id(node) in self.walked:  # an alias of a collection walked already: its
                return  # keys' lines are known under the anchor; errors here get the alias's
            self.walked.add(id(node))
        if isinstance(node, SequenceNode):
            active.add(id(node))
            for index, item in enumerate(node.value):
                self.lines[path + (index,)] = item.start_mark.line + 1
                self._walk(loader, item, path + (index,), active)
            active.discard(id(node))
        elif isinstance(node, MappingNode):
            active.add(id(node))
            keys: dict[Any, None] = {}
            self._walk_entries(loader, node, path, keys, active)
            self.keys[path] = list(keys)
            active.discard(id(node))

    def _walk_entries(self, loader: Loader, node: MappingNode, path: Path,
                      keys: dict[Any, None], active: set[int]) -> None:
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:  # `<<: *base` or `<<: [*a, *b]`
                sources = [value_node] if isinstance(value_node, MappingNode) else value_node.value
                for source in sources:
                    if isinstance(source, MappingNode) and id(source) not in active:
                        self.visited += 1
                        active.add(id(source))
                        self._walk_entries(loader, source, path, keys, active)
                        active.discard(id(source))
                continue
            key = loader.construct_object(key_node, deep=True)
            try:
                keys[key] = None
            except TypeError:
                continue
            self.lines[path + (key,)] = key_node.start_mark.line + 1
            self._note(key_node, path + (key,))
            self._walk(loader, value_node, path + (key,), active)

    def path_at(self, mark: Mark | None) -> Path:
        """Key path of the node that starts at ``mark`` (``()`` if unknown)."""
        if mark is None:
            return ()
        return self.by_mark.get((mark.line, mark.column), ())

    def _child(self, parent: Path, element: Any) -> Path | None:
        if parent + (element,) in self.lines:
            return parent + (element,)
        keys = self.keys.get(parent)
        if not keys:
            return None
        for key in keys:  # '80' in the model's path for the YAML key 80, or the reverse
            if str(key) == str(element):
                return parent + (key,)
        if isinstance(element, int) and not isinstance(element, bool) and 0 <= element < len(keys):
            return parent + (keys[element],)  # a mapping the model turned into a list
        return None

    def _follow(self, path: KeyPath) -> tuple[int, int]:
        current: Path = ()
        line, depth = self.lines[()], 0
        for element in path:
            child = self._child(current, element)
            if child is None:
                break
            current, line, depth = child, self.lines[child], depth + 1
        return line, depth

    def locate(self, path: KeyPath) -> int:
        """Line of ``path``, or of its deepest prefix that was written in the file.
        Container paths also match under a ``containers:`` key, and ``host.root`` matches
        ``host_root`` (spec 3.7.2)."""
        line, depth = self._follow(path)
        alternatives: list[tuple[Path, int]] = []
        if path and path[0] != "containers":
            alternatives.append((("containers", *path), 1))
        if tuple(path[:2]) == ("host", "root"):
            alternatives.append((("host_root", *path[2:]), -1))
        for alternative, extra in alternatives:
            alt_line, alt_depth = self._follow(alternative)
            if alt_depth - extra > depth:
                line, depth = alt_line, alt_depth - extra
        return line


#: values a document may stand for once its aliases are expanded; dockerfab walks its maps
#: as trees, so a few bytes of nested aliases ("billion laughs") would otherwise take hours
MAX_EXPANDED_VALUES = 250_000


def expanded_size(root: Node, limit: int = MAX_EXPANDED_VALUES) -> int:
    """How many values ``root`` stands for with every alias expanded, in time linear in the
    number of nodes written (sizes are shared between the aliases of one anchor). Counting
    stops a little above ``limit``; an alias inside its own anchor counts once."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in active:
            return 1
        total = 1
        if isinstance(node, (SequenceNode, MappingNode)):
            active.add(id(node))
            children = node.value if isinstance(node, SequenceNode) else [
                part for pair in node.value for part in pair]
            for child in children:
                total += size(child)
                if total > limit:
                    break
            active.discard(id(node))
        sizes[id(node)] = total
        return total

    return size(root)


class _Frame:
    """A mapping or sequence being parsed, for :func:`_path_where_parsing_stopped`."""

    def __init__(self, path: Path, is_mapping: bool) -> None:
        self.path = path
        self.is_mapping = is_mapping
        self.key: Any = None
        self.expecting_key = True
        self.index = 0

    def slot(self) -> Path:
        """Path of the node that would come next in this collection."""
        if self.is_mapping:
            return self.path if self.expecting_key else self.path + (self.key,)
        return self.path + (self.index,)

    def completed(self) -> None:
        if self.is_mapping:
            self.expecting_key = not self.expecting_key
        else:
            self.index += 1


def _path_where_parsing_stopped(text: str | bytes, loader: type[Loader]) -> Path:
    """Key path at a syntax error or an undefined alias, from PyYAML's event stream (the
    node tree, and so :class:`_Positions`, does not exist when composing fails)."""
    stack: list[_Frame] = []
    anchors: set[str] = set()
    try:
        for event in _yaml.parse(text, Loader=loader):
            if isinstance(event, NodeEvent):
                top = stack[-1] if stack else None
                if isinstance(event, AliasEvent) and event.anchor not in anchors:
                    return top.slot() if top else ()
                if event.anchor:
                    anchors.add(event.anchor)
                if top is not None and top.is_mapping and top.expecting_key:
                    top.key = event.value if isinstance(event, ScalarEvent) else "?"
                if isinstance(event, CollectionStartEvent):
                    stack.append(_Frame(top.slot() if top else (),
                                        isinstance(event, MappingStartEvent)))
                elif top is not None:
                    top.completed()
            elif isinstance(event, CollectionEndEvent) and stack:
                stack.pop()
                if stack:
                    stack[-1].completed()
    except _yaml.YAMLError:
        pass
    if not stack:
        return ()
    top = stack[-1]
    return top.path + (top.key,) if top.is_mapping and not top.expecting_key else top.path


def _read(stream: Stream, source: str | None) -> tuple[str | bytes, str]:
    """The whole input and the name to use for it in messages."""
    if source is None:
        name = getattr(stream, "name", None)
        source = name if isinstance(name, str) else "<string>"
    data = stream if isinstance(stream, (str, bytes)) else stream.read()
    if isinstance(data, bytes):  # decode here so messages can quote the text
        try:
            encoding = "utf-16" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) \
                else "utf-8-sig"
            data = data.decode(encoding)
        except UnicodeDecodeError:
            pass  # PyYAML reports the bad byte with its position
    return data, source


_ALIAS_AT = re.compile(r"\*([^\s,\[\]{}]+)")


def _describe_yaml_error(exc: MarkedYAMLError, text: str | bytes) -> str:
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    mark = exc.problem_mark
    if isinstance(exc, YAMLTagError):
        return problem
    if context == "expected a single document in the stream":
        return ("more than one YAML document in the file (a second one starts here); "
                "a map or clients file holds exactly one")
    if problem.startswith("found undefined alias"):
        found = re.search(r"'([^']+)'", problem)
        alias = found.group(1) if found else None
        if alias is None and mark is not None and isinstance(text, str):
            found = _ALIAS_AT.match(text.splitlines()[mark.line][mark.column:])
            alias = found.group(1) if found else None
        if alias:
            return f"alias *{alias} is used, but no anchor &{alias} is defined before it"
        return "an alias (*name) is used, but no anchor (&name) is defined before it"
    if problem.startswith("could not determine a constructor for the tag"):
        tag = re.search(r"'([^']+)'", problem)
        return (f"unknown tag {tag.group(1) if tag else problem}; "
                "dockerfab knows !path, !path_lazy, !env and !env_lazy")
    if mark is not None and isinstance(text, str) and problem.startswith(
            "found character that cannot start any token"):
        lines = text.splitlines()
        if mark.line < len(lines) and lines[mark.line][mark.column:mark.column + 1] == "\t":
            problem = "found a tab character; YAML indents with spaces only"
    message = f"YAML syntax error: {problem}"
    if mark is not None:
        message += f" (column {mark.column + 1})"
    if context:
        where = exc.context_mark
        on_line = f" on line {where.line + 1}" if where is not None and (
            mark is None or where.line != mark.line) else ""
        message += f", {context}{on_line}"
    return message


class _Document:
    """One parsed YAML document: its data, where it came from, and its key positions."""

    def __init__(self, data: Any, source: str, positions: _Positions) -> None:
        self.data = data
        self.source = source
        self.positions = positions

    def locate(self, error: MapError, *prefix: str | int, root_line: bool = False) -> MapError:
        """Fill in ``file`` and ``line`` of a MapError raised for this document's data;
        ``prefix`` is prepended to the error's path only to find the line. An error without
        a key path gets no line (it concerns the whole map) unless ``root_line``."""
        if error.file is None:
            error.file = self.source
            path = (*prefix, *error.path)
            if error.line is None and (path or root_line):
                error.line = self.positions.locate(path)
        return error

    def error(self, message: str, path: KeyPath = ()) -> MapError:
        """A MapError about this document's data at ``path`` (the root: its first line)."""
        return self.locate(MapError(message, path), root_line=True)


def _parse(stream: Stream, source: str | None, loader: type[Loader]) -> _Document:
    text, source = _read(stream, source)
    parser = loader(text)
    parser.source_name = source
    positions = _Positions()
    try:
        try:
            root = parser.get_single_node()
            if root is None:
                return _Document(None, source, positions)
            if expanded_size(root) > MAX_EXPANDED_VALUES:
                raise MapError(f"the document's aliases expand to more than "
                               f"{MAX_EXPANDED_VALUES:,} values; refused (nested aliases "
                               f"repeating each other, as in a 'billion laughs' file)",
                               file=source, line=root.start_mark.line + 1)
            positions = _Positions.build(parser, root)
            data = parser.construct_document(root)
        finally:
            parser.dispose()
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if isinstance(exc, ConstructorError):
            path = positions.path_at(mark)
        else:  # scanner, parser or composer: no node tree to look positions up in
            path = _path_where_parsing_stopped(text, loader)
        raise MapError(_describe_yaml_error(exc, text), path, file=source,
                       line=mark.line + 1 if mark is not None else None) from exc
    except ReaderError as exc:  # a byte or character that YAML does not accept
        before = text[:exc.position]
        line = (before.count(b"\n") if isinstance(before, bytes) else before.count("\n")) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise MapError(f"not valid YAML text: {exc.reason} (character #x{char:02x})",
                       file=source, line=line) from exc
    except _yaml.YAMLError as exc:
        raise MapError(f"cannot read YAML: {exc}", file=source) from exc
    return _Document(data, source, positions)


def load_document(stream: Stream, *, source: str | None = None,
                  loader: type[Loader] = Loader) -> Any:
    """Parse one YAML document with dockerfab's loader: plain dicts, lists and scalars.
    Errors raise :class:`MapError` with file, line and key path."""
    return _parse(stream, source, loader).data


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    names = {"dict": "a mapping", "list": "a list", "str": "a string"}
    return names.get(type(value).__name__, f"a {type(value).__name__}")


def load_map(stream: Stream, name: str | None = None, check_integrity: bool = True, *,
             source: str | None = None, loader: type[Loader] = Loader,
             complete: bool = True, name_from_file: bool = False) -> ContainerMap:
    """Build a :class:`~dockerfab.map.container.ContainerMap` from a YAML stream (text,
    bytes or an open file).

    The map's name is, in this priority (spec 3.9.2): ``name`` if given and not empty;
    with ``name=''`` the input's file base name without extension; else the ``name``
    element on the map's root (which is never read as a container). ``check_integrity=False``
    skips the check that every referenced alias, container and network is defined;
    ``complete=False`` checks only the references the dependency graph needs (what taking
    containers down needs), not whether every configuration could be created.
    ``source`` names the input in messages (default: the stream's file name).
    ``name_from_file=True``: a map without ``name`` element is named after its file, as
    with ``name=''``.
    """
    document = _parse(stream, source, loader)
    data = document.data
    if not isinstance(data, dict):
        raise document.error(f"a map must be a mapping of settings and containers, "
                             f"found {_type_name(data)}")
    data = dict(data)
    root_name = data.pop("name", None)
    if name is None and root_name is None and name_from_file:
        name = ""
    if name == "":
        if document.source.startswith("<"):
            raise document.error("name='' takes the map name from the file name, "
                                 "but the input has none; pass source= or a name")
        name = os.path.splitext(os.path.basename(document.source))[0]
    elif name is None:
        if root_name is None:
            raise document.error("the map has no name: add a 'name' element on its root, "
                                 "or pass a name (name='' uses the file name)")
        if not isinstance(root_name, str) or not root_name:
            raise document.error(f"the map name must be a non-empty string, "
                                 f"found {root_name!r}", ("name",))
        name = root_name
    from dockerfab.map.container import ContainerMap

    try:
        container_map = ContainerMap(name, data, check_integrity=False)
        if check_integrity:
            container_map.check_integrity(complete=complete)
        return container_map
    except MapError as exc:
        document.locate(exc)
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise document.error(f"invalid map: {type(exc).__name__}: {exc}") from exc


def load_map_file(filename: str | os.PathLike[str], name: str | None = None,
                  check_integrity: bool = True, *,
                  loader: type[Loader] = Loader, complete: bool = True,
                  name_from_file: bool = False) -> ContainerMap:
    """:func:`load_map` for a file; ``name=''`` names the map after the file
    (``/srv/apps.yaml`` -> ``apps``), ``name_from_file=True`` does when it has no name."""
    path = os.fspath(filename)
    with _open(path) as stream:
        return load_map(stream, name, check_integrity, source=path, loader=loader,
                        complete=complete, name_from_file=name_from_file)


def load_clients(stream: Stream, cfg_class: type | None = None, *, source: str | None = None,
                 loader: type[Loader] = Loader) -> dict[str, Any]:
    """Client configurations from a YAML mapping ``{client name: {setting: value}}``.

    Returns ``{name: cfg_class(**settings)}``; ``cfg_class`` defaults to
    :class:`~dockerfab.map.config.client.ClientConfiguration`.
    """
    if cfg_class is None:
        from dockerfab.map.config.client import ClientConfiguration
        cfg_class = ClientConfiguration
    document = _parse(stream, source, loader)
    data = document.data
    if not isinstance(data, dict):
        raise document.error(f"a clients file must be a mapping of client names to their "
                             f"settings, found {_type_name(data)}")
    clients: dict[str, Any] = {}
    for client_name, settings in data.items():
        if not isinstance(client_name, str):
            raise document.error(f"client names must be strings, found {client_name!r}",
                                 (client_name,))
        if settings is None:
            settings = {}
        if not isinstance(settings, dict):
            raise document.error(f"client settings must be a mapping, "
                                 f"found {_type_name(settings)}", (client_name,))
        try:
            clients[client_name] = cfg_class(**settings)
        except MapError as exc:
            document.locate(exc.at(client_name))
            raise
        except TypeError as exc:
            unknown = re.search(r"unexpected keyword argument '([^']+)'", str(exc))
            if unknown:
                raise document.error(f"unknown client setting '{unknown.group(1)}'",
                                     (client_name, unknown.group(1))) from exc
            raise document.error(f"invalid client settings: {exc}", (client_name,)) from exc
        except (ValueError, KeyError) as exc:
            raise document.error(f"invalid client settings: {type(exc).__name__}: {exc}",
                                 (client_name,)) from exc
    return clients


def load_clients_file(filename: str | os.PathLike[str], cfg_class: type | None = None, *,
                      loader: type[Loader] = Loader) -> dict[str, Any]:
    """:func:`load_clients` for a file."""
    path = os.fspath(filename)
    with _open(path) as stream:
        return load_clients(stream, cfg_class, source=path, loader=loader)


def _open(path: str) -> IO[bytes]:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise MapError(f"cannot read the file: {exc.strerror or exc}", file=path) from exc

