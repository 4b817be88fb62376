"""DockerFile: a Dockerfile written by Python code, plus the list of files its context needs
(spec 3.3).

Commands whose order matters (``RUN``, ``ADD``, anything passed to :meth:`DockerFile.prefix`)
go into a text buffer at once. Configuration (``VOLUME``, ``EXPOSE``, ``ENTRYPOINT``, ``CMD``
...) is kept in properties and appended by :meth:`DockerFile.finalize`, in a fixed order, so
it can be set at any point. After ``finalize()`` the object refuses changes.
"""
from __future__ import annotations

import io
import json
import os
import posixpath
import shlex
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from dockerfab.errors import BuildError
from dockerfab.shortcuts import rm

Command = str | Sequence[Any]


class ContextFile(NamedTuple):
    """A local file, directory or tar archive that the build context has to contain.

    ``arcname`` is its path inside the context; ``None`` for an archive, whose members are
    copied to the context root.
    """
    source: str
    arcname: str | None
    archive: bool = False


def format_command(cmd: Command, shell: bool = False) -> str:
    """A command for ``RUN``/``CMD``/``ENTRYPOINT``: a string stays as written (shell form);
    a list/tuple becomes the JSON exec form, or with ``shell`` its words joined by spaces."""
    if isinstance(cmd, str):
        return cmd
    words = [str(w) for w in cmd]
    return " ".join(words) if shell else json.dumps(words)


def _exec_form(cmd: Command) -> str:
    """JSON exec form of a command given as list/tuple or as a space-separated string."""
    words = shlex.split(cmd) if isinstance(cmd, str) else [str(w) for w in cmd]
    return json.dumps(words)


def _shell_form(cmd: Command) -> str:
    """Shell form: a string as written, a list's words joined by spaces."""
    return cmd if isinstance(cmd, str) else " ".join(str(w) for w in cmd)


def _continue_lines(text: str) -> str:
    """Make a multi-line command one Dockerfile instruction (backslash line continuations)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    out = [line if line.endswith("\\") else line + " \\" for line in lines[:-1]]
    return "\n".join(out + [lines[-1]])


def _duration(value: Any) -> str:
    """Docker duration text: numbers are seconds (``30`` -> ``'30s'``), strings as given."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}s"
    return str(value)


def _path_args(*paths: str) -> str:
    """Arguments of ``ADD``/``COPY``: plain, or the JSON form when a path holds whitespace."""
    if any(any(c.isspace() for c in p) for p in paths):
        return json.dumps(list(paths))
    return " ".join(paths)


class DockerFile:
    """A Dockerfile under construction; ``with DockerFile('base') as df: ...``.

    ``baseimage`` is written as ``FROM``, ``maintainer`` as ``MAINTAINER``, and ``initial``
    (Dockerfile text) unchanged after them.
    """

    def __init__(self, baseimage: str, maintainer: str | None = None,
                 initial: str | None = None) -> None:
        self._buffer: io.StringIO | None = io.StringIO()
        self._finalized = False
        self._files: list[ContextFile] = []
        self._remove_final: list[str] = []
        self._volumes: list[str] = []
        self._entrypoint: Command | None = None
        self._command: Command | None = None
        self._command_shell = False
        self._command_user: str | None = None
        self._command_workdir: str | None = None
        self._expose: list[str] = []
        self._labels: dict[str, str] = {}
        self._shell: Command | None = None
        self._stopsignal: str | None = None
        self._healthcheck: Any = None
        self.baseimage = baseimage
        self.maintainer = maintainer
        self.prefix("FROM", baseimage)
        if maintainer:
            self.prefix("MAINTAINER", maintainer)
        if initial:
            self.write(initial if initial.endswith("\n") else initial + "\n")

    # --- context manager and state ---------------------------------------------------------

    def __enter__(self) -> DockerFile:  # noqa: PYI034 - not subclassed for this
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the text buffer; the object is unusable afterwards."""
        if self._buffer is not None:
            self._buffer.close()
            self._buffer = None

    @property
    def finalized(self) -> bool:
        """True once :meth:`finalize` has run; no more changes are accepted then."""
        return self._finalized

    def _open_buffer(self) -> io.StringIO:
        if self._buffer is None:
            raise BuildError("DockerFile is closed")
        return self._buffer

    def _writable(self) -> io.StringIO:
        buffer = self._open_buffer()
        if self._finalized:
            raise BuildError("DockerFile is finalized; it cannot be changed any more")
        return buffer

    # --- direct writing --------------------------------------------------------------------

    def write(self, text: str) -> None:
        """Write Dockerfile text as is."""
        self._writable().write(text)

    def writeline(self, line: str = "") -> None:
        """Write one line (a line break is appended)."""
        self.write(line + "\n")

    def writelines(self, lines: Iterable[str]) -> None:
        """Write several lines, each followed by a line break."""
        for line in lines:
            self.writeline(line)

    def prefix(self, prefix: str, *args: Command) -> None:
        """Write one instruction: ``prefix('RUN', 'make')`` -> ``RUN make``. A list/tuple
        argument is written in JSON exec form, several arguments are joined by spaces."""
        parts = [prefix] + [_continue_lines(format_command(a)) for a in args]
        self.writeline(" ".join(p for p in parts if p != ""))

    def prefix_all(self, prefix: str, *args: Command) -> None:
        """One instruction per argument, all with the same ``prefix``."""
        for arg in args:
            self.prefix(prefix, arg)

    def run(self, *args: Command) -> None:
        """``RUN``: a string in shell form, a list/tuple in exec form
        (``run(['/bin/busybox', '--install'])`` -> ``RUN ["/bin/busybox", "--install"]``)."""
        self.prefix("RUN", *args)

    def run_all(self, *args: Command) -> None:
        """One ``RUN`` per argument."""
        self.prefix_all("RUN", *args)

    def comment(self, text: str | None = None) -> None:
        """A ``#`` comment line (every line of ``text`` commented); None: an empty comment."""
        if text is None:
            self.writeline("#")
        else:
            self.writelines(f"# {line}" if line else "#" for line in str(text).split("\n"))

    def blank(self) -> None:
        """An empty line."""
        self.writeline()

    # --- files -----------------------------------------------------------------------------

    def _add_context_file(self, item: ContextFile) -> None:
        for existing in self._files:
            if item.arcname is not None and existing.arcname == item.arcname \
                    and existing.source != item.source:
                raise BuildError(f"context path {item.arcname!r} is used for both "
                                 f"{existing.source!r} and {item.source!r}; pass ctx_path")
        if item not in self._files:
            self._files.append(item)

    def add_file(self, src_path: str, dst_path: str | None = None, ctx_path: str | None = None,
                 expanduser: bool = False, expandvars: bool = False,
                 remove_final: bool = False) -> str:
        """``ADD`` a local file or directory and list it for the context; returns its path
        inside the context.

        ``dst_path`` (default ``/<basename>``) is the path in the image, a trailing ``/``
        meaning "into this directory"; ``ctx_path`` (default: ``dst_path`` without the
        leading ``/``) the path inside the context. ``remove_final`` deletes it again at the
        end of the build, before the configuration commands.
        """
        self._writable()
        path = os.path.expandvars(src_path) if expandvars else src_path
        path = os.path.expanduser(path) if expanduser else path
        source = os.path.abspath(path)
        if not os.path.lexists(source):
            raise FileNotFoundError(f"no such file or directory: {source}")
        name = os.path.basename(source.rstrip(os.sep)) or "root"
        target = dst_path if dst_path else "/" + name
        image_path = posixpath.join(target, name) if target.endswith("/") else target
        if ctx_path is None:
            ctx_path = image_path
        arcname = posixpath.normpath(ctx_path).lstrip("/")
        if arcname in ("", ".") or arcname.startswith("../"):
            raise BuildError(f"invalid context path {ctx_path!r} for {source!r}")
        self._add_context_file(ContextFile(source, arcname))
        self.prefix("ADD", _path_args(arcname, target))
        if remove_final:
            self._remove_final.append(image_path)
        return arcname

    def add_archive(self, src_file: str, remove_final: bool = False) -> list[str]:
        """Copy the contents of a (compressed) tar archive into the context and ``ADD`` each of
        its top-level entries to the image root; returns those context paths."""
        self._writable()
        source = os.path.abspath(src_file)
        with tarfile.open(source, "r:*") as tar:
            names = tar.getnames()
        tops: list[str] = []
        for member in names:
            top = posixpath.normpath(member).lstrip("/").split("/", 1)[0]
            if top not in ("", ".", "..") and top not in tops:
                tops.append(top)
        self._add_context_file(ContextFile(source, None, archive=True))
        for top in tops:
            self.prefix("ADD", _path_args(top, "/" + top))
            if remove_final:
                self._remove_final.append("/" + top)
        return tops

    @property
    def files(self) -> list[ContextFile]:
        """The files, directories and archives the build context must contain (a copy)."""
        return list(self._files)

    # --- configuration properties ----------------------------------------------------------

    def _set(self, attr: str, value: Any) -> None:
        self._writable()
        setattr(self, attr, value)

    @property
    def volumes(self) -> list[str]:
        """Paths written as ``VOLUME``, before the other configuration commands."""
        return list(self._volumes)

    @volumes.setter
    def volumes(self, value: str | Iterable[str] | None) -> None:
        self._set("_volumes", [] if value is None else
                  [value] if isinstance(value, str) else [str(v) for v in value])

    @property
    def entrypoint(self) -> Command | None:
        """``ENTRYPOINT``: list/tuple or space-separated string (form set by command_shell)."""
        return self._entrypoint

    @entrypoint.setter
    def entrypoint(self, value: Command | None) -> None:
        self._set("_entrypoint", value)

    @property
    def command(self) -> Command | None:
        """``CMD``: list/tuple or space-separated string (form set by command_shell)."""
        return self._command

    @command.setter
    def command(self, value: Command | None) -> None:
        self._set("_command", value)

    @property
    def command_shell(self) -> bool:
        """Write ENTRYPOINT and CMD in shell form (True) or exec form (False, the default)."""
        return self._command_shell

    @command_shell.setter
    def command_shell(self, value: bool) -> None:
        self._set("_command_shell", bool(value))

    @property
    def command_user(self) -> str | None:
        """``USER`` written just before ENTRYPOINT/CMD (does not affect earlier RUNs)."""
        return self._command_user

    @command_user.setter
    def command_user(self, value: Any) -> None:
        self._set("_command_user", None if value is None else str(value))

    @property
    def command_workdir(self) -> str | None:
        """``WORKDIR`` written just before ENTRYPOINT/CMD (does not affect earlier RUNs)."""
        return self._command_workdir

    @command_workdir.setter
    def command_workdir(self, value: str | None) -> None:
        self._set("_command_workdir", value)

    @property
    def expose(self) -> list[str]:
        """Ports for ``EXPOSE``: a port (``80``, ``'53/udp'``) or a list of them."""
        return list(self._expose)

    @expose.setter
    def expose(self, value: Any) -> None:
        if value is None:
            ports: list[str] = []
        elif isinstance(value, (str, int)):
            ports = [str(value)]
        else:
            ports = [str(v) for v in value]
        self._set("_expose", ports)

    @property
    def labels(self) -> dict[str, str]:
        """``LABEL`` key/value pairs."""
        return dict(self._labels)

    @labels.setter
    def labels(self, value: Mapping[str, Any] | None) -> None:
        self._set("_labels", {str(k): str(v) for k, v in (value or {}).items()})

    @property
    def shell(self) -> Command | None:
        """``SHELL`` for the shell forms that follow it (list, or space-separated string)."""
        return self._shell

    @shell.setter
    def shell(self, value: Command | None) -> None:
        self._set("_shell", value)

    @property
    def stopsignal(self) -> str | None:
        """``STOPSIGNAL`` (``'SIGTERM'``, ``15`` ...)."""
        return self._stopsignal

    @stopsignal.setter
    def stopsignal(self, value: Any) -> None:
        self._set("_stopsignal", None if value is None else str(value))

    @property
    def healthcheck(self) -> Any:
        """``HEALTHCHECK``: a HealthCheck tuple, a dict of its fields, a test command (string:
        shell form, list: exec form or a Docker test list starting ``CMD``/``CMD-SHELL``), or
        ``'NONE'`` to disable the base image's check."""
        return self._healthcheck

    @healthcheck.setter
    def healthcheck(self, value: Any) -> None:
        self._set("_healthcheck", value)

    # --- finalizing ------------------------------------------------------------------------

    def _healthcheck_line(self) -> str | None:
        value = self._healthcheck
        if value is None:
            return None
        if isinstance(value, Mapping):
            fields = dict(value)
        elif hasattr(value, "_asdict"):
            fields = value._asdict()
        else:
            fields = {"test": value}
        test = fields.get("test")
        if test is None or test == "NONE" or (isinstance(test, (list, tuple))
                                              and list(test)[:1] == ["NONE"]):
            return "HEALTHCHECK NONE"
        options = []
        for key, flag in (("interval", "interval"), ("timeout", "timeout"),
                          ("start_period", "start-period")):
            if fields.get(key) is not None:
                options.append(f"--{flag}={_duration(fields[key])}")
        if fields.get("retries") is not None:
            options.append(f"--retries={int(fields['retries'])}")
        if isinstance(test, str):
            cmd = test
        else:
            words = [str(w) for w in test]
            if words[:1] == ["CMD-SHELL"]:
                cmd = " ".join(words[1:])
            else:
                cmd = json.dumps(words[1:] if words[:1] == ["CMD"] else words)
        return " ".join(["HEALTHCHECK", *options, "CMD", cmd])

    def _final_lines(self) -> list[str]:
        """The configuration commands, in the order finalize() writes them."""
        lines: list[str] = []
        if self._remove_final:
            lines.append("RUN " + rm(self._remove_final, recursive=True, force=True))
        if self._volumes:
            lines.append("VOLUME " + json.dumps(self._volumes))
        if self._expose:
            lines.append("EXPOSE " + " ".join(self._expose))
        if self._labels:
            lines.append("LABEL " + " ".join(f"{json.dumps(k)}={json.dumps(v)}"
                                             for k, v in self._labels.items()))
        if self._stopsignal:
            lines.append("STOPSIGNAL " + self._stopsignal)
        if self._shell is not None:
            lines.append("SHELL " + _exec_form(self._shell))
        health = self._healthcheck_line()
        if health:
            lines.append(health)
        if self._command_user:
            lines.append("USER " + self._command_user)
        if self._command_workdir:
            lines.append("WORKDIR " + self._command_workdir)
        form = _shell_form if self._command_shell else _exec_form
        if self._entrypoint is not None:
            lines.append("ENTRYPOINT " + form(self._entrypoint))
        if self._command is not None:
            lines.append("CMD " + form(self._command))
        return lines

    def finalize(self) -> None:
        """Append the configuration commands, in this order: removals of ``remove_final``
        files, VOLUME, EXPOSE, LABEL, STOPSIGNAL, SHELL, HEALTHCHECK, USER, WORKDIR,
        ENTRYPOINT, CMD. Afterwards the DockerFile cannot be changed. Runs once."""
        if self._finalized:
            return
        self.writelines(self._final_lines())
        self._finalized = True

    def getvalue(self) -> str:
        """The complete Dockerfile text, configuration commands included (whether or not
        finalize() has run; it does not finalize)."""
        text = self._open_buffer().getvalue()
        if self._finalized:
            return text
        return text + "".join(line + "\n" for line in self._final_lines())

    def __str__(self) -> str:
        return self.getvalue()

    def save(self, name: str, encoding: str = "utf-8") -> None:
        """Write the complete Dockerfile text to the file ``name``."""
        with open(name, "w", encoding=encoding) as f:
            f.write(self.getvalue())


__all__ = ["ContextFile", "DockerFile", "format_command"]
