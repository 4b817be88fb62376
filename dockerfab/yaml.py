"""Container maps and client configurations from YAML (spec 3.9).

dockerfab reads YAML with its own :class:`Loader` (a safe loader; PyYAML's global loaders are
left untouched), which adds the tags ``!path``, ``!path_lazy``, ``!env`` and ``!env_lazy``,
rejects duplicate keys, and remembers the line of every key and list item. Every failure,
in the YAML itself or in the map built from it, raises :class:`dockerfab.errors.MapError`
whose ``str()`` names the file, the line and the key path::

    site.yaml:14: app_server.binds[1]: unknown volume alias 'app_dta' (did you mean 'app_data'?)

The loader and its tags are :mod:`dockerfab.yamlloader`; parsing a document with its key
positions and locating every error, :mod:`dockerfab.yamldoc`; this module builds maps and
client configurations from documents (and re-exports the loader's public names).
"""
from __future__ import annotations

import os
import re
from typing import IO, TYPE_CHECKING, Any

from dockerfab.errors import MapError
from dockerfab.yamldoc import Stream, parse_document
from dockerfab.yamlloader import (
    Loader,
    YAMLTagError,
    config_value,
    expand_path,
    expand_path_strictly,
    read_env,
    unset_variables,
    values_from_env,
)

if TYPE_CHECKING:
    from dockerfab.map.container import ContainerMap

__all__ = [
    "Loader",
    "Stream",
    "YAMLTagError",
    "config_value",
    "expand_path",
    "expand_path_strictly",
    "load_clients",
    "load_clients_file",
    "load_document",
    "load_map",
    "load_map_file",
    "read_env",
    "unset_variables",
    "values_from_env",
]

def load_document(stream: Stream, *, source: str | None = None,
                  loader: type[Loader] = Loader) -> Any:
    """Parse one YAML document with dockerfab's loader: plain dicts, lists and scalars.
    Errors raise :class:`MapError` with file, line and key path."""
    return parse_document(stream, source, loader).data


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
    document = parse_document(stream, source, loader)
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
    document = parse_document(stream, source, loader)
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

