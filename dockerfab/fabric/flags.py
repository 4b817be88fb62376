"""Task flags declared once: :class:`TaskFlags` and the :func:`host_task` decorator.

A task body takes its own parameters and ``flags: TaskFlags``; :func:`host_task` adds the
shared flags (``--fail-fast``, ``--dry-run``, ``--format``, ``--verbose``, ``--quiet``, as
far as the task takes them) to the signature Invoke reads, with their help, collects them
into one :class:`TaskFlags`, and turns a DockerFabError raised before any host is worked
on (a bad flag, map or name) into exit status 2 with its one-line message.
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any

from fabric.tasks import Task, task
from invoke import Exit

from dockerfab.errors import DockerFabError, UsageError


@dataclass(frozen=True)
class TaskFlags:
    """The output and failure flags of a task that works on hosts."""
    fail_fast: bool = False
    dry_run: bool = False
    format: str | None = None
    verbose: bool = False
    quiet: bool = False


FLAG_HELP = {
    "fail_fast": "do not start further hosts once one has failed",
    "dry_run": "print per host the actions it would take, each with its reason; change "
               "nothing",
    "format": "output format: text or json (default: the docker.output setting)",
    "verbose": "more detail: the plan before a real run, reasons on every line",
    "quiet": "less detail: no line per action, only failures, plans and the summary",
}
#: flag sets of the task kinds
MAP_FLAGS = ("fail_fast", "dry_run", "format", "verbose", "quiet")
STATUS_FLAGS = ("fail_fast", "format", "verbose", "quiet")
#: tasks that print containers' output lines (logs, exec)
LINE_FLAGS = ("format",)
_DEFAULTS = {f.name: f.default for f in fields(TaskFlags)}


def host_task(*, flags: Iterable[str] = (), help: dict[str, str] | None = None,
              short: dict[str, str] | None = None,
              **task_kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """Make a Fabric task of ``body(c, ..., flags: TaskFlags)`` with the shared ``flags``
    added to its command line; ``help`` documents the task's own parameters, ``short``
    gives some of them a short flag of their own (``{"follow": "f"}``: no other parameter
    gets that letter), the rest of ``task_kwargs`` go to :func:`fabric.tasks.task`
    (``name``, ``post``, ``iterable``)."""
    shared = tuple(flags)

    def decorate(body: Callable[..., Any]) -> Any:
        signature = inspect.signature(body)
        own = [p for p in signature.parameters.values() if p.name != "flags"]
        added = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                   default=_DEFAULTS[n]) for n in shared]

        @functools.wraps(body)
        def call(c: Any, *args: Any, **kwargs: Any) -> Any:
            given = TaskFlags(**{n: kwargs.pop(n) for n in shared if n in kwargs})
            try:
                return body(c, *args, flags=given, **kwargs)
            except DockerFabError as exc:  # before any host: a bad flag, map or name
                raise Exit(f"dockerfab: {exc}", code=2) from None

        # The shared flags come right after the required parameters: Invoke hands out short
        # flags in signature order, so theirs (-f -d -o -v -q) stay the same in every task
        # and do not move when a task gains an option.
        required = [p for p in own if p.default is inspect.Parameter.empty]
        optional = [p for p in own if p.default is not inspect.Parameter.empty]
        call.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*required, *added, *optional])
        texts = {**(help or {}), **{n: FLAG_HELP[n] for n in shared}}
        made = task(help=texts, klass=ShortFlagTask, **task_kwargs)(call)
        made.short_flags = dict(short or {})
        return made
    return decorate


class ShortFlagTask(Task):  # type: ignore[misc]
    """Fabric's Task without two Invoke quirks: a dashed name whose letters are all taken
    gets the short flag '-' (shown as ``--=STRING``; such a flag has no short form here),
    and the help texts are used up by the first parse (a second parser in the same process,
    e.g. a program run in-process, showed every option without help)."""

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Any]:
        texts: dict[str, str] = dict(vars(self)["help"])
        try:
            return list(super().get_arguments(ignore_unknown_help))
        finally:
            self.help = texts

    #: parameter -> its short flag, kept from every other parameter (``host_task(short=)``)
    short_flags: Mapping[str, str] = MappingProxyType({})

    def arg_opts(self, name: str, default: Any, taken_names: set[str]) -> dict[str, Any]:
        own = self.short_flags.get(name)
        taken = taken_names | set(self.short_flags.values())
        if own is not None:
            taken |= set(name)  # no letter of its own name: the one given instead
        opts: dict[str, Any] = super().arg_opts(name, default, taken)
        names = [n for n in opts["names"] if n not in ("-", "_")]
        opts["names"] = [*names, own] if own is not None else names
        return opts


def split_list(value: str | Sequence[str] | None) -> list[str]:
    """``'a,b'`` or ``['a', 'b,c']`` -> ``['a', 'b', 'c']``; None -> []."""
    if value is None:
        return []
    parts = [value] if isinstance(value, str) else list(value)
    return [p.strip() for part in parts for p in str(part).split(",") if p.strip()]


def number(value: Any) -> float | int | None:
    """A numeric flag (``'10'``, ``'1.5'``); None for an empty one."""
    if value is None or value == "":
        return None
    try:
        result = float(value)
    except ValueError:
        raise UsageError(f"expected a number, not {value!r}") from None
    return int(result) if result.is_integer() else result


def tail_lines(value: str | int | None) -> int | None:
    """``--tail``: a number of lines (0 or more), or ``all`` (None)."""
    if value is None or str(value).strip().lower() == "all":
        return None
    text = str(value).strip()
    if not text.isdigit():
        raise UsageError(f"--tail must be a number of lines or 'all', not {value!r}")
    return int(text)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def since_time(value: str | None, now: float) -> float | None:
    """``--since``: a duration back from ``now`` (``90s``, ``10m``, ``1h30m``, ``2d``), an
    RFC 3339 time (``2026-12-01T10:00:00Z``; without an offset: local time) or a UNIX
    timestamp; the UNIX time it means. None when not given."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if re.fullmatch(rf"(?:{_DURATION.pattern})+", text):
        seconds = sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(text))
        return now - seconds
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--since must be a duration (10m, 1h30m), an RFC 3339 time "
                         f"(2026-12-01T10:00:00Z) or a UNIX timestamp, not {value!r}") from None
    return when.timestamp()  # a time without an offset is local time, as Docker's CLI has it


def env_pairs(values: Sequence[str] | None) -> tuple[str, ...]:
    """``--env K=V`` (repeatable): ``K=V`` strings, each with a name before its ``=``."""
    pairs = []
    for value in values or ():
        key, sep, _ = str(value).partition("=")
        if not sep or not key or any(c.isspace() for c in key):
            raise UsageError(f"--env takes NAME=VALUE, not {value!r}")
        pairs.append(str(value))
    return tuple(pairs)


def cmd_check(value: str | None) -> Any:
    """``--check-exec-commands`` full, partial or none."""
    if value is None:
        return None
    from dockerfab.map.input import CmdCheck

    try:
        return CmdCheck[value.upper()]
    except KeyError:
        raise UsageError(f"--check-exec-commands must be full, partial or none, "
                         f"not {value!r}") from None


def gate_settings(settings: Any, options: dict[str, Any]) -> Any:
    """``settings`` (DockerSettings) with a call's ``--no-wait``/``--readiness``/
    ``--health-timeout``, which are taken out of ``options``."""
    from dockerfab.errors import MapError
    from dockerfab.fabric.settings import DockerSettings

    changes: dict[str, Any] = {}
    if options.pop("wait", True) is False:
        changes["wait"] = False
    for key in ("readiness", "health_timeout"):
        value = options.pop(key, None)
        if value is None:
            continue
        try:
            changes[key] = getattr(DockerSettings.from_dict({key: value}), key)
        except MapError as exc:
            raise UsageError(f"--{key.replace('_', '-')}: {exc.message}") from None
    return dataclasses.replace(settings, **changes) if changes else settings
