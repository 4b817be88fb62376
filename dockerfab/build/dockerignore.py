"""``.dockerignore`` patterns, matched the way ``docker build`` matches them.

Rules (as in the Docker documentation): one pattern per line, ``#`` starts a comment line,
blank lines are ignored; patterns are cleaned like paths and a leading ``/`` is dropped;
``*`` matches within one path element, ``?`` one character, ``[...]`` a character class,
``**`` any number of directories (also none); ``\\`` escapes the next character; ``!``
makes an exception that re-includes what earlier patterns excluded. The last matching
pattern decides. A pattern matching a directory also matches everything below it.
"""
from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable
from typing import NamedTuple

#: File name read at the root of a directory added to a context.
DOCKERIGNORE = ".dockerignore"


class Pattern(NamedTuple):
    """One cleaned pattern: its text, compiled regex, and whether it re-includes (``!``)."""
    text: str
    regex: re.Pattern[str]
    exception: bool


def _translate(pattern: str) -> str:
    """Regex source for a cleaned pattern (anchored at both ends)."""
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(.*/)?")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1:end]
                if body.startswith(("^", "!")):
                    body = "^" + body[1:].replace("\\", "\\\\")
                else:
                    body = body.replace("\\", "\\\\")
                out.append("[" + body + "]")
                i = end
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    return "".join(out)


def parse(lines: Iterable[str]) -> list[Pattern]:
    """Patterns from the lines of a ``.dockerignore`` file."""
    patterns: list[Pattern] = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        if exception:
            line = line[1:].strip()
            if not line:
                continue
        text = posixpath.normpath(line)
        if len(text) > 1 and text.startswith("/"):
            text = text.lstrip("/") or "."
        patterns.append(Pattern(text, re.compile(_translate(text), re.DOTALL), exception))
    return patterns


class IgnoreMatcher:
    """Decides for a path relative to the directory root whether ``docker build`` would
    leave it out."""

    def __init__(self, patterns: Iterable[Pattern | str]) -> None:
        self.patterns: list[Pattern] = []
        for item in patterns:
            self.patterns.extend([item] if isinstance(item, Pattern) else parse([item]))
        self.has_exceptions = any(p.exception for p in self.patterns)

    @classmethod
    def from_directory(cls, directory: str) -> IgnoreMatcher:
        """The matcher of ``directory/.dockerignore`` (empty when there is none)."""
        path = os.path.join(directory, DOCKERIGNORE)
        try:
            with open(path, encoding="utf-8") as f:
                return cls(parse(f.read().splitlines()))
        except FileNotFoundError:
            return cls([])

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def excluded(self, relpath: str) -> bool:
        """True if ``relpath`` (``/``-separated, relative to the root) is ignored."""
        path = posixpath.normpath(relpath)
        parts = path.split("/")
        result = False
        for pattern in self.patterns:
            if pattern.exception != result:
                continue  # cannot change the outcome
            hit = bool(pattern.regex.match(path)) or any(
                pattern.regex.match("/".join(parts[:i])) for i in range(1, len(parts)))
            if hit:
                result = not pattern.exception
        return result

    def may_include_below(self, relpath: str) -> bool:
        """Whether an exception pattern could re-include something inside the excluded
        directory ``relpath`` (then it has to be walked; otherwise it can be skipped)."""
        if not self.has_exceptions:
            return False
        prefix = posixpath.normpath(relpath) + "/"
        for pattern in self.patterns:
            if not pattern.exception:
                continue
            literal = re.split(r"[*?\[\\]", pattern.text, maxsplit=1)[0]
            if literal.startswith(prefix) or prefix.startswith(literal):
                return True
        return False


__all__ = ["DOCKERIGNORE", "IgnoreMatcher", "Pattern", "parse"]
