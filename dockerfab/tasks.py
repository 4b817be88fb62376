"""The Invoke collection of dockerfab tasks. A whole fabfile::

    from dockerfab.tasks import ns

Settings live under the ``docker`` config key (see docs/tasks.rst). Each task parses its
flags, hands the work for one host to :mod:`dockerfab.fabric.run` (which reports per host
and never lets one host's failure stop the others), and a post-task prints the per-host
summary and exits non-zero when a host failed.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import yaml
from fabric.tasks import task
from invoke import Collection, Exit

from dockerfab.compose_tasks import export_compose, import_compose
from dockerfab.fabric import actions
from dockerfab.fabric.actions import split_list
from dockerfab.fabric.run import HostSession, run_on_hosts, run_state
from dockerfab.fabric.settings import DockerSettings, defaults
from dockerfab.map.naming import primary_name
from dockerfab.output import MODES, NORMAL, QUIET, VERBOSE, format_table

NAMES_HELP = ("container configurations: comma-separated 'config', 'map.config', "
              "'map.config.instance', group names, or __all__")
COMMON_HELP = {
    "names": NAMES_HELP,
    "instances": "only these instances (comma-separated)",
    "fail_fast": "do not start further hosts once one has failed",
}
OUTPUT_HELP = {
    "format": "output format: text or json (default: the docker.output setting)",
    "verbose": "more detail: the plan before a real run, reasons on every line",
    "quiet": "less detail: no line per action, only failures, plans and the summary",
}
DRY_RUN_HELP = {"dry_run": "print per host the actions it would take, each with its reason; "
                           "change nothing"}
#: items named like the map's that dockerfab did not create (see docs/actions.rst)
ADOPT_HELP = {"adopt_foreign": "use containers, volumes and networks named like map items "
                               "that dockerfab did not create as they are"}
FOREIGN_HELP = {**ADOPT_HELP,
                "replace_foreign": "remove such items and create them from the map "
                                   "(a volume's data is lost)"}
GATE_HELP = {
    "wait": "wait until each started container is healthy, or running --readiness seconds "
            "without a restart, or exited 0 (default on; --no-wait: done once started)",
    "readiness": "seconds a container without health check must run (default: "
                 "docker.readiness, 5)",
    "health_timeout": "seconds a container with a health check has to become healthy "
                      "(default: docker.health_timeout, 60)",
}


def _settings(c: Any, fail_fast: bool = False, output: str | None = None) -> DockerSettings:
    """The ``docker`` settings, with this call's ``--fail-fast`` and ``--format`` applied."""
    import dataclasses

    from dockerfab.errors import DockerFabError

    try:
        settings = DockerSettings.from_config(c.config)
    except DockerFabError as exc:  # a bad ``docker`` setting: one line, exit 2
        raise Exit(f"dockerfab: {exc}", code=2) from None
    changes: dict[str, Any] = {}
    if fail_fast and not settings.fail_fast:
        changes["fail_fast"] = True
    if output is not None:
        if output not in MODES:
            raise Exit(f"dockerfab: --format must be one of {', '.join(MODES)}, not "
                       f"{output!r}", code=2)
        changes["output"] = output
    return dataclasses.replace(settings, **changes) if changes else settings


def _verbosity(verbose: bool, quiet: bool) -> int:
    if verbose and quiet:
        raise Exit("dockerfab: --verbose and --quiet exclude each other", code=2)
    return VERBOSE if verbose else QUIET if quiet else NORMAL


def _begin(c: Any, task_name: str, settings: DockerSettings, dry_run: bool = False,
           verbose: bool = False, quiet: bool = False) -> None:
    """Name the task for the reporter and apply its output flags."""
    state = run_state(c.config, settings)
    state.reporter.begin(task_name, dry_run, settings.output, _verbosity(verbose, quiet))


def _on_hosts(c: Any, name: str, work: Callable[[HostSession], Any],
              settings: DockerSettings | None = None) -> None:
    """Run ``work`` on every host of this call; failures are recorded, not raised."""
    from dockerfab.errors import DockerFabError
    from dockerfab.fabric.hosts import load_clients, resolve_targets

    settings = settings or _settings(c)
    state = run_state(c.config, settings)
    try:
        targets = resolve_targets(c, load_clients(settings))
    except DockerFabError as exc:  # bad clients file: ends the run with its message
        raise Exit(f"dockerfab: {exc}", code=2) from None
    run_on_hosts(targets, name, work, c.config, settings, state)


def _host_work(fn: Callable[[HostSession], Any]) -> Callable[[HostSession], tuple[None, Any]]:
    """Wrap a host utility (returns a JSON-able result) as run work."""
    def work(session: HostSession) -> tuple[None, Any]:
        return None, fn(session)
    return work


def _end(c: Any, full: bool) -> None:
    if not run_state(c.config, _settings(c)).reporter.end(full):
        raise Exit(code=1)


@task
def summary(c: Any) -> None:
    """Print the per-host summary of the run; exit status 1 when any host failed."""
    _end(c, full=True)


@task
def finish(c: Any) -> None:
    """End of a host utility: the summary only when a host failed, and the exit status."""
    _end(c, full=False)


# --- map actions ---------------------------------------------------------------------------

#: Tasks that only take down what exists: they load maps whose other configurations are
#: incomplete (an undefined interface, an attached volume without a path).
TAKE_DOWN = frozenset({"shutdown", "stop", "remove", "restart", "kill"})


def _maps(c: Any, settings: DockerSettings, complete: bool = True) -> list[Any] | None:
    """The configured maps (``!env`` also reads this task's Fabric configuration); a map
    error ends the run with its one-line message."""
    from dockerfab.errors import DockerFabError
    from dockerfab.fabric.hosts import load_maps

    try:
        return load_maps(settings, c.config, complete)
    except DockerFabError as exc:
        raise Exit(f"dockerfab: {exc}", code=2) from None


def _check_names(maps: list[Any], names: list[str], instances: list[str]) -> None:
    """Names that no loaded map knows end the run before any host is contacted."""
    from dockerfab.errors import DockerFabError
    from dockerfab.map.select import select_in

    try:
        select_in(maps, names, instances or None)
    except DockerFabError as exc:
        raise Exit(f"dockerfab: {exc}", code=2) from None


def _map_task(c: Any, action: str, method: str, names: str, instances: str | None,
              fail_fast: bool, dry_run: bool, format: str | None, verbose: bool, quiet: bool,
              **options: Any) -> None:
    from dockerfab.fabric import planwork

    settings = _gate_settings(_settings(c, fail_fast, format), options)
    _begin(c, action, settings, dry_run, verbose, quiet)
    maps = _maps(c, settings, complete=action not in TAKE_DOWN)
    if maps:
        _check_names(maps, split_list(names), split_list(instances))
    make = planwork.map_dry_run if dry_run else planwork.map_run
    work = make(maps or [], method, split_list(names), split_list(instances), options)
    _on_hosts(c, action, work, settings)


def _gate_settings(settings: DockerSettings, options: dict[str, Any]) -> DockerSettings:
    """The settings with this call's ``--no-wait``/``--readiness``/``--health-timeout``
    (taken out of ``options``)."""
    import dataclasses

    from dockerfab.errors import MapError

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
            raise Exit(f"dockerfab: --{key.replace('_', '-')}: {exc.message}", code=2) \
                from None
    return dataclasses.replace(settings, **changes) if changes else settings


def _map_help(**extra: str) -> dict[str, str]:
    return {**COMMON_HELP, **DRY_RUN_HELP, **OUTPUT_HELP, **extra}


@task(post=[summary], help=_map_help(**GATE_HELP, prepare_local="prepare attached volumes "
                                     "with commands on the host (default on; "
                                     "--no-prepare-local: in a helper container)",
                                     **FOREIGN_HELP))
def startup(c, names, instances=None, prepare_local=True, adopt_foreign=False,
            replace_foreign=False, wait=True, readiness=None, health_timeout=None,
            fail_fast=False, dry_run=False, format=None, verbose=False, quiet=False):
    """Create and start containers and their dependencies; re-create broken ones (keeping
    their anonymous volumes)."""
    _map_task(c, "startup", "startup", names, instances, fail_fast, dry_run, format, verbose,
              quiet, prepare_local=prepare_local, adopt_foreign=adopt_foreign,
              replace_foreign=replace_foreign, wait=wait, readiness=readiness,
              health_timeout=health_timeout)


@task(post=[summary], help=_map_help(
    remove_persistent="also remove persistent containers (default on)",
    remove_attached="also remove attached volumes (their data is lost)",
    timeout="seconds to wait for a stop before killing", **ADOPT_HELP))
def shutdown(c, names, instances=None, remove_persistent=True, remove_attached=False,
             timeout=None, adopt_foreign=False, fail_fast=False, dry_run=False, format=None,
             verbose=False, quiet=False):
    """Stop and remove containers and the containers that depend on them.

    Deletes the containers and their anonymous volumes (an image's VOLUME, shares); attached
    volumes only with --remove-attached; host binds are never touched."""
    _map_task(c, "shutdown", "shutdown", names, instances, fail_fast, dry_run, format, verbose,
              quiet, remove_persistent=remove_persistent, remove_attached=remove_attached,
              timeout=_number(timeout), adopt_foreign=adopt_foreign)


@task(post=[summary], help=_map_help(prepare_local="prepare attached volumes on the host",
                                     **FOREIGN_HELP))
def create(c, names, instances=None, prepare_local=True, adopt_foreign=False,
           replace_foreign=False, fail_fast=False, dry_run=False, format=None, verbose=False,
           quiet=False):
    """Create containers (and attached volumes, networks) without starting them."""
    _map_task(c, "create", "create", names, instances, fail_fast, dry_run, format, verbose,
              quiet, prepare_local=prepare_local, adopt_foreign=adopt_foreign,
              replace_foreign=replace_foreign)


@task(post=[summary], help=_map_help(**GATE_HELP, **FOREIGN_HELP))
def start(c, names, instances=None, adopt_foreign=False, replace_foreign=False, wait=True,
          readiness=None, health_timeout=None, fail_fast=False, dry_run=False, format=None,
          verbose=False, quiet=False):
    """Start containers and their dependencies."""
    _map_task(c, "start", "start", names, instances, fail_fast, dry_run, format, verbose, quiet,
              adopt_foreign=adopt_foreign, replace_foreign=replace_foreign, wait=wait,
              readiness=readiness, health_timeout=health_timeout)


@task(post=[summary], help=_map_help(timeout="seconds to wait before killing", **ADOPT_HELP))
def stop(c, names, instances=None, timeout=None, adopt_foreign=False, fail_fast=False,
         dry_run=False, format=None, verbose=False, quiet=False):
    """Stop containers and the containers that depend on them."""
    _map_task(c, "stop", "stop", names, instances, fail_fast, dry_run, format, verbose, quiet,
              timeout=_number(timeout), adopt_foreign=adopt_foreign)


@task(post=[summary], help=_map_help(
    remove_persistent="also remove persistent containers (default on)",
    remove_attached="also remove attached volumes (their data is lost)", **ADOPT_HELP))
def remove(c, names, instances=None, remove_persistent=True, remove_attached=False,
           adopt_foreign=False, fail_fast=False, dry_run=False, format=None, verbose=False,
           quiet=False):
    """Remove (stopped) containers and the containers that depend on them.

    Deletes the containers and their anonymous volumes (an image's VOLUME, shares); attached
    volumes only with --remove-attached; host binds are never touched."""
    _map_task(c, "remove", "remove", names, instances, fail_fast, dry_run, format, verbose,
              quiet, remove_persistent=remove_persistent, remove_attached=remove_attached,
              adopt_foreign=adopt_foreign)


@task(post=[summary], help=_map_help(
    **GATE_HELP,
    restart_exec_commands="run the configured exec commands again after the restart",
    timeout="seconds to wait for the stop", **ADOPT_HELP))
def restart(c, names, instances=None, restart_exec_commands=False, timeout=None,
            adopt_foreign=False, wait=True, readiness=None, health_timeout=None,
            fail_fast=False, dry_run=False, format=None, verbose=False, quiet=False):
    """Restart containers (not their dependencies)."""
    _map_task(c, "restart", "restart", names, instances, fail_fast, dry_run, format, verbose,
              quiet, restart_exec_commands=restart_exec_commands, timeout=_number(timeout),
              adopt_foreign=adopt_foreign, wait=wait, readiness=readiness,
              health_timeout=health_timeout)


@task(post=[summary], iterable=["force_update"], help=_map_help(
    **GATE_HELP,
    pull_before_update="pull images before comparing",
    force_update="recreate this configuration without checking (repeatable)",
    skip_limit_reset="recreate rather than reset limits the API cannot remove",
    update_persistent="also recreate persistent containers",
    check_exec_commands="how to find exec commands in running processes: full, partial, none",
    prepare_local="prepare attached volumes on the host",
    recreate_volumes="re-create attached volumes whose driver, options or labels changed "
                     "(their data is lost)", **FOREIGN_HELP))
def update(c, names, instances=None, pull_before_update=False, force_update=None,
           skip_limit_reset=False, update_persistent=False, check_exec_commands=None,
           prepare_local=True, recreate_volumes=False, adopt_foreign=False,
           replace_foreign=False, wait=True, readiness=None, health_timeout=None,
           fail_fast=False, dry_run=False, format=None, verbose=False, quiet=False):
    """Bring containers in line with the map: recreate (keeping anonymous volumes),
    reconnect, update limits, re-create changed networks, start."""
    _map_task(c, "update", "update", names, instances, fail_fast, dry_run, format, verbose,
              quiet, pull_before_update=pull_before_update,
              force_update=split_list(force_update) or None,
              skip_limit_reset=skip_limit_reset, update_persistent=update_persistent,
              check_exec_commands=_cmd_check(check_exec_commands), prepare_local=prepare_local,
              recreate_volumes=recreate_volumes, adopt_foreign=adopt_foreign,
              replace_foreign=replace_foreign, wait=wait, readiness=readiness,
              health_timeout=health_timeout)


@task(post=[summary], help=_map_help(signal="signal to send (name or number, default SIGKILL)",
                                     **ADOPT_HELP))
def kill(c, names, instances=None, signal="SIGKILL", adopt_foreign=False, fail_fast=False,
         dry_run=False, format=None, verbose=False, quiet=False):
    """Send a signal (default SIGKILL) to running containers."""
    _map_task(c, "kill", "signal", names, instances, fail_fast, dry_run, format, verbose, quiet,
              signal=signal, adopt_foreign=adopt_foreign)


@task(name="pull-images", post=[summary], help=_map_help(
    pull_all_images="also pull tags that exist already (default on)",
    insecure="allow an insecure registry (daemon configuration decides; see docs)"))
def pull_images(c, names, instances=None, pull_all_images=True, insecure=False,
                fail_fast=False, dry_run=False, format=None, verbose=False, quiet=False):
    """Pull the images of containers."""
    _map_task(c, "pull-images", "pull_images", names, instances, fail_fast, dry_run, format,
              verbose, quiet, pull_all_images=pull_all_images,
              pull_insecure_registry=insecure or None)


SCRIPT_HELP = {
    "name": "container configuration to run the script with ('config' or 'map.config')",
    "instance": "instance of the configuration",
    "entrypoint": "entrypoint of the script runtime, e.g. /bin/sh",
    "command_format": "command; {script_path} becomes the script's path in the container "
                      "(split like a shell line)",
    "wait_timeout": "seconds to wait for the container to finish",
    "container_script_dir": "directory of the script inside the container (/tmp/script_run)",
    "timestamps": "prefix log lines with timestamps",
    "tail": "only the last N log lines",
    "remove_existing_before": "remove a container of the same name first",
    "remove_created_after": "remove the container afterwards (default on)",
    "download": "local directory to copy the script directory into afterwards (per host)",
    "fail_fast": COMMON_HELP["fail_fast"],
    **DRY_RUN_HELP, **OUTPUT_HELP,
}


def _script(c: Any, action: str, name: str, script_path: str | None, instance: str | None,
            entrypoint: str | None, command_format: str | None, wait_timeout: Any,
            container_script_dir: str | None, timestamps: bool, tail: Any,
            remove_existing_before: bool, remove_created_after: bool, download: str | None,
            fail_fast: bool, flags: tuple[bool, str | None, bool, bool]) -> None:
    import shlex

    dry_run, output, verbose, quiet = flags
    settings = _settings(c, fail_fast, output)
    _begin(c, action, settings, dry_run, verbose, quiet)
    maps = _maps(c, settings)
    options = {"entrypoint": entrypoint,
               "command_format": shlex.split(command_format) if command_format else None,
               "wait_timeout": _number(wait_timeout),
               "container_script_dir": container_script_dir,
               "timestamps": timestamps or None, "tail": _number(tail),
               "remove_existing_before": remove_existing_before,
               "remove_created_after": remove_created_after}
    if dry_run:
        from dockerfab.fabric.planwork import script_dry_run

        work = script_dry_run(maps or [], name, instance, script_path, options)
    else:
        work = actions.script_action(maps or [], name, instance, script_path, options,
                                     download)
    _on_hosts(c, action, work, settings)


@task(post=[summary], help={**SCRIPT_HELP, "script_path": "local script file or directory "
                                                         "(uploaded to each host)"})
def script(c, name, script_path, instance=None, entrypoint=None, command_format=None,
           wait_timeout=None, container_script_dir=None, timestamps=False, tail=None,
           remove_existing_before=False, remove_created_after=True, download=None,
           fail_fast=False, dry_run=False, format=None, verbose=False, quiet=False):
    """Upload a local script (file or directory) and run it in a container of the map."""
    _script(c, "script", name, script_path, instance, entrypoint, command_format, wait_timeout,
            container_script_dir, timestamps, tail, remove_existing_before,
            remove_created_after, download, fail_fast, (dry_run, format, verbose, quiet))


@task(name="single-cmd", post=[summary], help={
    **{k: v for k, v in SCRIPT_HELP.items()
       if k not in ("command_format", "container_script_dir", "download")},
    "command": "the command line (run with /bin/sh -c unless --entrypoint is given; then "
               "split like a shell line)"})
def single_cmd(c, name, command, instance=None, entrypoint=None, wait_timeout=None,
               timestamps=False, tail=None, remove_existing_before=False,
               remove_created_after=True, fail_fast=False, dry_run=False, format=None,
               verbose=False, quiet=False):
    """Run one command in a new container of a configuration and print its output.

    Without --entrypoint the command line runs under ``/bin/sh -c``."""
    import shlex

    if entrypoint is None:
        entrypoint, command = "/bin/sh", "-c " + shlex.quote(command)
    _script(c, "single-cmd", name, None, instance, entrypoint, command, wait_timeout, None,
            timestamps, tail, remove_existing_before, remove_created_after, None, fail_fast,
            (dry_run, format, verbose, quiet))


# --- status --------------------------------------------------------------------------------

#: Exit status of ``status`` when every host answered but something is out of sync.
OUT_OF_SYNC_EXIT = 3


@task
def status_summary(c: Any) -> None:
    """End of ``status``: the per-host table; exit 1 when a host failed, 3 when anything is
    out of sync (drifted, stopped, missing, unhealthy, orphaned)."""
    reporter = run_state(c.config, _settings(c)).reporter
    if not reporter.summary():
        raise Exit(code=1)
    if not reporter.last_in_sync:
        raise Exit(code=OUT_OF_SYNC_EXIT)


@task(post=[status_summary], help={
    "remove_orphans": "remove orphaned containers, volumes and networks (asks first "
                      "unless --yes)",
    "yes": "do not ask before removing orphans",
    "fail_fast": COMMON_HELP["fail_fast"], **OUTPUT_HELP})
def status(c, remove_orphans=False, yes=False, fail_fast=False, format=None, verbose=False,
           quiet=False):
    """Compare the hosts with the maps; change nothing (unless --remove-orphans).

    Shows each map container as in sync, drifted (with the differences), stopped, missing
    or unhealthy, and the orphans: labelled items the loaded maps no longer have. Exit
    status 3 when anything is out of sync, 1 when a host failed."""
    from dockerfab.fabric.planwork import status_work

    settings = _settings(c, fail_fast, format)
    _begin(c, "status", settings, False, verbose, quiet)
    maps = _maps(c, settings)
    work = status_work(maps or [], remove_orphans, lambda q: yes or _confirm(c, q))
    _on_hosts(c, "status", work, settings)


@task(help={"values": "also print environment values and values read with !env (hidden "
                     "by default: they may be secrets)"},
      auto_shortflags=False)  # no -v: it means verbose everywhere else
def show(c, values=False):
    """Print the loaded maps as YAML (after extends are merged); environment values and
    values read with !env hidden."""
    settings = _settings(c)
    for container_map in _maps(c, settings) or []:
        data = _plain(container_map)
        print(f"# map {container_map.name}")
        print(yaml.safe_dump(data if values else hide_environment(data), sort_keys=False,
                             default_flow_style=False), end="")


HIDDEN = "<hidden>"


def hide_environment(value: Any, key: str = "", secrets: frozenset[str] | None = None) -> Any:
    """Plain map data with the values of every ``environment``, and every value that
    ``!env``/``!env_lazy`` read, replaced by ``<hidden>`` (names stay: what is set is
    useful, what it is set to may be a secret)."""
    from dockerfab.yaml import values_from_env

    secrets = values_from_env() if secrets is None else secrets
    if key == "environment":
        if isinstance(value, dict):
            return dict.fromkeys(value, HIDDEN)
        if isinstance(value, list):
            return [str(v).split("=", 1)[0] + "=" + HIDDEN for v in value]
        return HIDDEN
    if isinstance(value, dict):
        return {k: hide_environment(v, str(k), secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [hide_environment(v, "", secrets) for v in value]
    if isinstance(value, (str, int, float)) and not isinstance(value, bool) \
            and str(value) in secrets:
        return HIDDEN
    return value


def _plain(container_map: Any) -> Any:
    """A map as plain data for YAML (named tuples as lists, lazy values resolved)."""
    from dockerfab.functional import resolve_deep

    data = container_map.get_extended_map().as_dict() if hasattr(
        container_map, "get_extended_map") else container_map.as_dict()
    return _to_plain(resolve_deep(data))


def _to_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: _to_plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple, set)):
        return [_to_plain(v) for v in value]
    if hasattr(value, "as_dict"):
        return _to_plain(value.as_dict())
    if hasattr(value, "value") and hasattr(value, "name"):  # enums
        return value.name
    return value


def _number(value: Any) -> float | int | None:
    if value is None or value == "":
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _cmd_check(value: str | None) -> Any:
    if value is None:
        return None
    from dockerfab.map.input import CmdCheck

    try:
        return CmdCheck[value.upper()]
    except KeyError:
        raise Exit(f"dockerfab: --check-exec-commands must be full, partial or none, "
                   f"not {value!r}", code=2) from None


# --- host utilities ------------------------------------------------------------------------

def _table_task(c: Any, name: str, headers: tuple[str, ...],
                rows: Callable[[HostSession], list[list[Any]]]) -> None:
    def fn(session: HostSession) -> Any:
        data = rows(session)
        session.reporter.data(session.label, "", format_table(headers, data))
        return [dict(zip(headers, row)) for row in data]
    _on_hosts(c, name, _host_work(fn))


@task(post=[finish])
def version(c):
    """Docker version of each host."""
    def rows(s: HostSession) -> list[list[Any]]:
        v = s.client.version()
        return [[v.get("Version"), v.get("ApiVersion"), v.get("Os"), v.get("Arch"),
                 v.get("KernelVersion")]]
    _table_task(c, "version", ("version", "api", "os", "arch", "kernel"), rows)


@task(post=[finish])
def info(c):
    """Docker daemon information of each host (name, counts, storage, resources)."""
    def rows(s: HostSession) -> list[list[Any]]:
        i = s.client.info()
        keys = ("Name", "ServerVersion", "Containers", "ContainersRunning", "Images",
                "Driver", "NCPU", "MemTotal", "DockerRootDir", "OperatingSystem")
        return [[k, i.get(k)] for k in keys]
    _table_task(c, "info", ("setting", "value"), rows)


@task(name="list-containers", post=[finish], help={"all": "include stopped containers "
                                                          "(default on; --no-all: running only)"})
def list_containers(c, all=True):
    """Containers of each host: name, image, status, id."""
    def rows(s: HostSession) -> list[list[Any]]:
        out = []
        for ct in s.client.containers(all=all):
            out.append([primary_name(ct.get("Names")) or "", ct.get("Image"), ct.get("Status"),
                        ct["Id"][:12]])
        return sorted(out)
    _table_task(c, "list-containers", ("name", "image", "status", "id"), rows)


@task(name="list-images", post=[finish])
def list_images(c):
    """Images of each host: tags, id, size."""
    def rows(s: HostSession) -> list[list[Any]]:
        out = []
        for image in s.client.images():
            tags = [t for t in image.get("RepoTags") or () if t != "<none>:<none>"]
            out.append([", ".join(tags) or "<none>", image["Id"].split(":")[-1][:12],
                        f"{image.get('Size', 0) / 2**20:.1f} MiB"])
        return sorted(out)
    _table_task(c, "list-images", ("tags", "id", "size"), rows)


@task(name="list-networks", post=[finish])
def list_networks(c):
    """Networks of each host: name, driver, id."""
    def rows(s: HostSession) -> list[list[Any]]:
        return sorted([n["Name"], n.get("Driver"), n["Id"][:12]] for n in s.client.networks())
    _table_task(c, "list-networks", ("name", "driver", "id"), rows)


@task(name="list-volumes", post=[finish])
def list_volumes(c):
    """Volumes of each host: name, driver."""
    def rows(s: HostSession) -> list[list[Any]]:
        volumes = s.client.volumes().get("Volumes") or []
        return sorted([v["Name"], v.get("Driver")] for v in volumes)
    _table_task(c, "list-volumes", ("name", "driver"), rows)


def _removed(session: HostSession, what: str, names: list[str]) -> list[str]:
    session.reporter.message(session.label, f"removed {len(names)} {what}" +
                             (": " + ", ".join(names) if names else ""))
    return names


def _cleanup(c: Any, name: str, what: str,
             remove: Callable[[HostSession], list[str]]) -> None:
    """A clean-up utility: ``remove`` on every host, reporting what it removed."""
    _on_hosts(c, name, _host_work(lambda s: _removed(s, what, remove(s))))


@task(name="cleanup-containers", post=[finish], help={
    "include_initial": "also remove containers that were never started",
    "exclude": "names to keep (comma-separated)"})
def cleanup_containers(c, include_initial=False, exclude=None):
    """Remove stopped containers."""
    _cleanup(c, "cleanup-containers", "containers", lambda s: s.client.cleanup_containers(
        include_initial=include_initial, exclude=split_list(exclude)))


@task(name="cleanup-images", post=[finish], help={
    "remove_old": "also remove tagged images without a 'latest' tag",
    "keep_tags": "tags to keep with --remove-old (comma-separated)"})
def cleanup_images(c, remove_old=False, keep_tags=None):
    """Remove untagged images (and with --remove-old, old tagged ones)."""
    _cleanup(c, "cleanup-images", "images", lambda s: s.client.cleanup_images(
        remove_old=remove_old, keep_tags=split_list(keep_tags)))


@task(name="remove-all-containers", post=[finish], help={
    "yes": "do not ask for confirmation", "stop_timeout": "seconds to wait for each stop",
    "exclude": "names to keep (comma-separated)"})
def remove_all_containers(c, yes=False, stop_timeout=10, exclude=None):
    """Stop and remove EVERY container on each host (asks first unless --yes)."""
    def fn(session: HostSession) -> Any:
        if not yes and not _confirm(c, f"Remove ALL containers on {session.label}?"):
            session.reporter.message(session.label, "skipped (not confirmed)")
            return []
        return _removed(session, "containers", session.client.remove_all_containers(
            stop_timeout=int(stop_timeout), exclude=split_list(exclude)))
    _on_hosts(c, "remove-all-containers", _host_work(fn))


def _confirm(c: Any, question: str) -> bool:
    state = run_state(c.config, _settings(c))
    # with JSON output the question goes to stderr, so stdout stays one JSON document
    out = sys.stderr if getattr(state.reporter.printer, "mode", "text") == "json" else sys.stdout
    with state.prompt_lock:
        out.write(f"{question} [y/N] ")
        out.flush()
        answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


@task(name="save-image", post=[finish], help={
    "image": "image name or id", "path": "local file; '{host}' is replaced by the host name "
                                          "(use it with several hosts, or they overwrite each other's file)"})
def save_image(c, image, path):
    """Download an image from each host as a tarball (docker save), streamed."""
    def fn(session: HostSession) -> Any:
        from dockerfab.fabric.transfer import save_image as save

        target = save(session, image, path)
        session.reporter.message(session.label, f"saved {image} to {target}")
        return target
    _on_hosts(c, "save-image", _host_work(fn))


@task(name="load-image", post=[finish], help={"path": "local image tarball (docker save)"})
def load_image(c, path):
    """Upload an image tarball to each host (docker load), streamed."""
    def fn(session: HostSession) -> Any:
        from dockerfab.fabric.transfer import load_image as load

        messages = load(session, path)
        for line in messages:
            session.reporter.message(session.label, line)
        return messages
    _on_hosts(c, "load-image", _host_work(fn))


@task(name="get-ip", post=[finish], help={"interface": "only this interface (e.g. eth0)",
                                          "ipv6": "IPv6 addresses instead of IPv4"})
def get_ip(c, interface=None, ipv6=False):
    """IP addresses of each host's interfaces (from `ip -o addr`)."""
    def fn(session: HostSession) -> Any:
        rows = actions.get_ip(session, interface, ipv6)
        session.reporter.data(session.label, "", format_table(("interface", "address"), rows))
        return [{"interface": i, "address": a} for i, a in rows]
    _on_hosts(c, "get-ip", _host_work(fn))


ns = Collection(
    startup, shutdown, create, start, stop, remove, restart, update, kill, pull_images,
    script, single_cmd, show, status,
    version, info, list_containers, list_images, list_networks, list_volumes,
    cleanup_containers, cleanup_images, remove_all_containers, save_image, load_image, get_ip)
# Compose files in and out (no hosts involved): dockerfab/compose_tasks.py
ns.add_task(import_compose)
ns.add_task(export_compose)
ns.configure({"docker": defaults()})
