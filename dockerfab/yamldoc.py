"""One YAML document parsed with its key positions, and every failure located: file, line and
key path of a syntax error, an undefined alias, a bad tag or a MapError raised for the data
(:class:`Document`). Also the guard against alias bombs (:func:`expanded_size`)."""
from __future__ import annotations

import codecs
import re
from typing import IO, Any

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
from yaml.nodes import MappingNode, Node, SequenceNode
from yaml.reader import ReaderError

from dockerfab.errors import KeyPath, MapError
from dockerfab.yamlloader import MERGE_TAG, Loader, YAMLTagError

Stream = str | bytes | IO[str] | IO[bytes]
Path = tuple[Any, ...]


class Positions:
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
    def build(cls, loader: Loader, root: Node) -> Positions:
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
            if key_node.tag == MERGE_TAG:  # `<<: *base` or `<<: [*a, *b]`
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
    node tree, and so :class:`Positions`, does not exist when composing fails)."""
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


class Document:
    """One parsed YAML document: its data, where it came from, and its key positions."""

    def __init__(self, data: Any, source: str, positions: Positions) -> None:
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


def parse_document(stream: Stream, source: str | None, loader: type[Loader]) -> Document:
    text, source = _read(stream, source)
    parser = loader(text)
    parser.source_name = source
    positions = Positions()
    try:
        try:
            root = parser.get_single_node()
            if root is None:
                return Document(None, source, positions)
            if expanded_size(root) > MAX_EXPANDED_VALUES:
                raise MapError(f"the document's aliases expand to more than "
                               f"{MAX_EXPANDED_VALUES:,} values; refused (nested aliases "
                               f"repeating each other, as in a 'billion laughs' file)",
                               file=source, line=root.start_mark.line + 1)
            positions = Positions.build(parser, root)
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
    return Document(data, source, positions)
