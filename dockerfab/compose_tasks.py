"""The ``import-compose`` and ``export-compose`` tasks: read and write the files, print the
warnings; the conversion itself is :mod:`dockerfab.compose` (pure). Neither task contacts
a host."""
from __future__ import annotations

import os
import re
import sys

from fabric.tasks import task
from invoke import Exit

from dockerfab.fabric.flags import ShortFlagTask


def _fail(message: str) -> Exit:
    return Exit(f"dockerfab: {message}", code=2)


def _warn(warnings: list[str]) -> None:
    for line in warnings:
        sys.stderr.write(f"dockerfab: warning: {line}\n")


def _write(text: str, output: str | None) -> None:
    if output in (None, "", "-"):
        sys.stdout.write(text)
        return
    with open(os.path.expanduser(str(output)), "w", encoding="utf-8") as stream:
        stream.write(text)


def project_name(path: str) -> str:
    """Compose's default project name: the file's directory, lower case, letters, digits,
    ``_`` and ``-`` only."""
    base = os.path.basename(os.path.dirname(os.path.abspath(path)))
    return re.sub(r"[^a-z0-9_-]", "", base.lower()) or "default"


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as stream:
        return stream.read()


@task(name="import-compose", klass=ShortFlagTask, help={
    "path": "the Compose file (docker-compose.yml)",
    "name": "name of the map (default: the project name Compose would use: the file's "
            "directory)",
    "output": "write the map to this file instead of standard output",
    "env_file": "variables for ${VAR} in the file (default: .env beside it, if present)"})
def import_compose(c, path, name=None, output=None, env_file=None):
    """Print a container map (YAML) for a Compose file; a warning per feature left out."""
    import yaml

    from dockerfab.compose.dump import dump
    from dockerfab.compose.importer import compose_to_map
    from dockerfab.compose.interpolate import parse_env_file
    from dockerfab.errors import MapError

    full = os.path.abspath(os.path.expanduser(path))
    base_dir = os.path.dirname(full)
    try:
        data = yaml.safe_load(_read_text(full))
        environ = {}
        dotenv = env_file or os.path.join(base_dir, ".env")
        if env_file or os.path.exists(dotenv):
            environ.update(parse_env_file(_read_text(os.path.abspath(dotenv))))
        environ.update(os.environ)  # the shell wins over .env, as in Compose
        result = compose_to_map(data, name or project_name(full), base_dir, _read_text,
                                environ)
    except OSError as exc:
        raise _fail(f"{exc.filename or path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise _fail(f"{path}: not valid YAML: {exc}") from None
    except MapError as exc:
        raise _fail(f"{path}: {exc}") from None
    _warn(result.warnings)
    header = [f"container map imported from {path} by dockerfab import-compose"]
    _write(dump(result.map, header + [f"warning: {w}" for w in result.warnings]), output)


@task(name="export-compose", klass=ShortFlagTask, help={
    "names": "configurations to export (with what they depend on): comma-separated "
             "'config', 'map.config', groups or __all__; one map per file",
    "output": "write the Compose file here instead of standard output",
    "client": "client (from docker.clients) whose interface addresses ports are published "
              "on"})
def export_compose(c, names, output=None, client=None):
    """Write a Compose file (also valid for docker stack deploy) for a map."""
    from dockerfab.compose.dump import dump
    from dockerfab.compose.exporter import map_to_compose
    from dockerfab.errors import DockerFabError
    from dockerfab.fabric.flags import split_list
    from dockerfab.fabric.hosts import load_clients, load_maps
    from dockerfab.fabric.settings import DockerSettings
    from dockerfab.map.select import expand_selection
    from dockerfab.plan.desired import ClientInfo

    try:
        settings = DockerSettings.from_config(c.config)
        maps = {m.name: m for m in load_maps(settings, c.config)}
        wanted = split_list(names) or ["__all__"]
        default = next(iter(maps)) if len(maps) == 1 else None
        ids = expand_selection(maps, wanted, None, None, default)
        involved = sorted({i.map_name for i in ids})
        if len(involved) != 1:
            raise _fail(f"export-compose writes one map per file; {', '.join(wanted)} "
                        f"names {len(involved)} maps ({', '.join(involved)})")
        info = None
        if client is not None:
            clients = load_clients(settings, c.config)
            if client not in clients:
                raise _fail(f"client {client!r} is not in docker.clients")
            info = ClientInfo.from_config(client, clients[client])
        container_map = maps[involved[0]]
        selection = [f"{i.config_name}.{i.instance_name}" if i.instance_name else i.config_name
                     for i in ids]
        result = map_to_compose(container_map, selection, info)
    except DockerFabError as exc:
        raise _fail(str(exc)) from None
    _warn(result.warnings)
    header = [f"Compose file of map {involved[0]} written by dockerfab export-compose",
              *[f"warning: {w}" for w in result.warnings]]
    _write(dump(result.compose, header), output)
