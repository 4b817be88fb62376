"""The Invoke collection of dockerfab tasks. A whole fabfile::

    from dockerfab.tasks import ns

Settings live under the ``docker`` config key (see docs/tasks.rst). Each task only parses
its flags, calls the run pipeline (:class:`dockerfab.fabric.pipeline.Run`: maps loaded
once, the one host fan-out, failures recorded per host) with the work for one host, and a
post-task prints the per-host summary and exits non-zero when a host failed. The shared
flags (``--fail-fast``, ``--dry-run``, ``--format``, ``--verbose``, ``--quiet``) are
declared once, by :func:`dockerfab.fabric.flags.host_task`.
"""
from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from fabric.tasks import task
from invoke import Collection, Context, Exit

from dockerfab.compose_tasks import export_compose, import_compose
from dockerfab.fabric import hostinfo
from dockerfab.fabric.flags import (
    LINE_FLAGS,
    MAP_FLAGS,
    STATUS_FLAGS,
    TaskFlags,
    cmd_check,
    env_pairs,
    gate_settings,
    host_task,
    number,
    since_time,
    split_list,
    tail_lines,
)
from dockerfab.fabric.pipeline import Run
from dockerfab.fabric.run import HostSession
from dockerfab.fabric.settings import defaults
from dockerfab.output import format_table

# What a task works with (the map model, the engine, the Docker SDK) is imported in the
# task's body, when it runs: ``--list``, ``--help`` and the first SSH packet do not wait
# for it (docs/benchmarks.rst, "Start-up").

NAMES_HELP = ("container configurations: comma-separated 'config', 'map.config', "
              "'map.config.instance', group names, or __all__")
MAP_HELP = {"names": NAMES_HELP, "instances": "only these instances (comma-separated)"}
PREPARE_HELP = "prepare attached volumes on the host"
#: items named like the map's that dockerfab did not create (see docs/actions.rst)
ADOPT_HELP = {"adopt_foreign": "use containers, volumes and networks named like map items "
                               "that dockerfab did not create as they are"}
FOREIGN_HELP = {**ADOPT_HELP,
                "replace_foreign": "remove such items and create them from the map "
                                   "(a volume's data is lost)"}
LOCK_HELP = {"lock_wait": "seconds to wait for another run's deploy lock on a host "
                         "(default: the docker.lock_wait setting, 0: fail at once, exit 5)"}
ROLLOUT_HELP = {
    "batch": "roll out in batches: N hosts or P% of them at a time, in the order given "
             "(default: the docker.rollout setting; none: every host at once)",
    "watch": "seconds a batch must stay healthy before the next starts (default 0)",
    "max_failures": "failed hosts allowed before the rollout stops (default 0)",
    "on_failure": "when the rollout fails: rollback (default; the hosts it reached go back "
                  "to their release from before it, exit 4), stop, or continue"}
GATE_HELP = {
    "wait": "wait until each started container is healthy, or running --readiness seconds "
            "without a restart, or exited 0 (default on; --no-wait: done once started)",
    "readiness": "seconds a container without health check must run (default: "
                 "docker.readiness, 5)",
    "health_timeout": "seconds a container with a health check has to become healthy "
                      "(default: docker.health_timeout, 60)",
}


def _exit_status(run: Run, ok: bool) -> int:
    """The exit status after a summary: 130 once interrupted, else the hosts' (1 failed, 4
    rolled back, 5 locked; see docs/reliability.rst), 0 when every host was ok."""
    code = Run.exit_code(ok)
    return (run.reporter.last_exit_code or code) if code == 1 else code


@task
def summary(c: Context) -> None:
    """Print the per-host summary of the run; exit status 1 when any host failed (4 rolled
    back, 5 locked: docs/reliability.rst), 130 when the run was interrupted."""
    run = Run.of(c)
    code = _exit_status(run, run.end(full=True))
    if code:
        raise Exit(code=code)


@task
def finish(c: Context) -> None:
    """End of a host utility: the summary only when a host failed, and the exit status."""
    run = Run.of(c)
    code = _exit_status(run, run.end(full=False))
    if code:
        raise Exit(code=code)


def map_task(**help: str) -> Callable[[Callable[..., Any]], Any]:
    """A map action task: names and instances, the shared flags, the summary after it."""
    return host_task(flags=MAP_FLAGS, help={**MAP_HELP, **help}, post=[summary])


def _map(c: Context, action: str, names: str, instances: str | None, flags: TaskFlags,
         method: str | None = None, **options: Any) -> None:
    from dockerfab.fabric import planwork

    planwork.map_task(Run.of(c), c, action, method or action, split_list(names),
                      split_list(instances), flags, options)


# --- map actions ---------------------------------------------------------------------------

@map_task(**GATE_HELP, prepare_local="prepare attached volumes with commands on the host "
          "(default on; --no-prepare-local: in a helper container)", **FOREIGN_HELP,
          **LOCK_HELP)
def startup(c: Context, names: str, instances: str | None = None, prepare_local: bool = True,
            adopt_foreign: bool = False, replace_foreign: bool = False, wait: bool = True,
            readiness: str | None = None, health_timeout: str | None = None,
            lock_wait: str | None = None, *, flags: TaskFlags) -> None:
    """Create and start containers and their dependencies; re-create broken ones (keeping
    their anonymous volumes)."""
    _map(c, "startup", names, instances, flags, prepare_local=prepare_local,
         adopt_foreign=adopt_foreign, replace_foreign=replace_foreign, wait=wait,
         readiness=readiness, health_timeout=health_timeout, lock_wait=lock_wait)


@map_task(remove_persistent="also remove persistent containers (default on)",
          remove_attached="also remove attached volumes (their data is lost)",
          timeout="seconds to wait for a stop before killing", **ADOPT_HELP)
def shutdown(c: Context, names: str, instances: str | None = None,
             remove_persistent: bool = True, remove_attached: bool = False,
             timeout: str | None = None, adopt_foreign: bool = False, *,
             flags: TaskFlags) -> None:
    """Stop and remove containers and the containers that depend on them.

    Deletes the containers and their anonymous volumes (an image's VOLUME, shares); attached
    volumes only with --remove-attached; host binds are never touched."""
    _map(c, "shutdown", names, instances, flags, remove_persistent=remove_persistent,
         remove_attached=remove_attached, timeout=number(timeout), adopt_foreign=adopt_foreign)


@map_task(prepare_local=PREPARE_HELP, **FOREIGN_HELP)
def create(c: Context, names: str, instances: str | None = None, prepare_local: bool = True,
           adopt_foreign: bool = False, replace_foreign: bool = False, *,
           flags: TaskFlags) -> None:
    """Create containers (and attached volumes, networks) without starting them."""
    _map(c, "create", names, instances, flags, prepare_local=prepare_local,
         adopt_foreign=adopt_foreign, replace_foreign=replace_foreign)


@map_task(**GATE_HELP, **FOREIGN_HELP)
def start(c: Context, names: str, instances: str | None = None, adopt_foreign: bool = False,
          replace_foreign: bool = False, wait: bool = True, readiness: str | None = None,
          health_timeout: str | None = None, *, flags: TaskFlags) -> None:
    """Start containers and their dependencies."""
    _map(c, "start", names, instances, flags, adopt_foreign=adopt_foreign,
         replace_foreign=replace_foreign, wait=wait, readiness=readiness,
         health_timeout=health_timeout)


@map_task(timeout="seconds to wait before killing", **ADOPT_HELP)
def stop(c: Context, names: str, instances: str | None = None, timeout: str | None = None,
         adopt_foreign: bool = False, *, flags: TaskFlags) -> None:
    """Stop containers and the containers that depend on them."""
    _map(c, "stop", names, instances, flags, timeout=number(timeout),
         adopt_foreign=adopt_foreign)


@map_task(remove_persistent="also remove persistent containers (default on)",
          remove_attached="also remove attached volumes (their data is lost)", **ADOPT_HELP)
def remove(c: Context, names: str, instances: str | None = None,
           remove_persistent: bool = True, remove_attached: bool = False,
           adopt_foreign: bool = False, *, flags: TaskFlags) -> None:
    """Remove (stopped) containers and the containers that depend on them.

    Deletes the containers and their anonymous volumes (an image's VOLUME, shares); attached
    volumes only with --remove-attached; host binds are never touched."""
    _map(c, "remove", names, instances, flags, remove_persistent=remove_persistent,
         remove_attached=remove_attached, adopt_foreign=adopt_foreign)


@map_task(**GATE_HELP,
          restart_exec_commands="run the configured exec commands again after the restart",
          timeout="seconds to wait for the stop", **ADOPT_HELP)
def restart(c: Context, names: str, instances: str | None = None,
            restart_exec_commands: bool = False, timeout: str | None = None,
            adopt_foreign: bool = False, wait: bool = True, readiness: str | None = None,
            health_timeout: str | None = None, *, flags: TaskFlags) -> None:
    """Restart containers (not their dependencies)."""
    _map(c, "restart", names, instances, flags, restart_exec_commands=restart_exec_commands,
         timeout=number(timeout), adopt_foreign=adopt_foreign, wait=wait,
         readiness=readiness, health_timeout=health_timeout)


@host_task(flags=MAP_FLAGS, post=[summary], iterable=["force_update"], help={
    **MAP_HELP, **GATE_HELP,
    "pull_before_update": "pull images before comparing",
    "force_update": "recreate this configuration without checking (repeatable)",
    "skip_limit_reset": "recreate rather than reset limits the API cannot remove",
    "update_persistent": "also recreate persistent containers",
    "check_exec_commands": "how to find exec commands in running processes: full, partial, "
                           "none",
    "prepare_local": PREPARE_HELP,
    "recreate_volumes": "re-create attached volumes whose driver, options or labels changed "
                        "(their data is lost)", **FOREIGN_HELP, **LOCK_HELP, **ROLLOUT_HELP})
def update(c: Context, names: str, instances: str | None = None,
           pull_before_update: bool = False, force_update: list[str] | None = None,
           skip_limit_reset: bool = False, update_persistent: bool = False,
           check_exec_commands: str | None = None, prepare_local: bool = True,
           recreate_volumes: bool = False, adopt_foreign: bool = False,
           replace_foreign: bool = False, wait: bool = True, readiness: str | None = None,
           health_timeout: str | None = None, lock_wait: str | None = None,
           batch: str | None = None, watch: str | None = None,
           max_failures: str | None = None, on_failure: str | None = None, *,
           flags: TaskFlags) -> None:
    """Bring containers in line with the map: recreate (keeping anonymous volumes),
    reconnect, update limits, re-create changed networks, start.

    With --batch, host by host (or N, or P% at a time), each batch watched for --watch
    seconds; a failed rollout takes the hosts it reached back (docs/rollouts.rst)."""
    _map(c, "update", names, instances, flags, pull_before_update=pull_before_update,
         force_update=split_list(force_update) or None, skip_limit_reset=skip_limit_reset,
         update_persistent=update_persistent,
         check_exec_commands=cmd_check(check_exec_commands), prepare_local=prepare_local,
         recreate_volumes=recreate_volumes, adopt_foreign=adopt_foreign,
         replace_foreign=replace_foreign, wait=wait, readiness=readiness,
         health_timeout=health_timeout, lock_wait=lock_wait, batch=batch, watch=watch,
         max_failures=max_failures, on_failure=on_failure)


@map_task(signal="signal to send (name or number, default SIGKILL)", **ADOPT_HELP)
def kill(c: Context, names: str, instances: str | None = None, signal: str = "SIGKILL",
         adopt_foreign: bool = False, *, flags: TaskFlags) -> None:
    """Send a signal (default SIGKILL) to running containers."""
    _map(c, "kill", names, instances, flags, method="signal", signal=signal,
         adopt_foreign=adopt_foreign)


@host_task(name="pull-images", flags=MAP_FLAGS, post=[summary], help={
    **MAP_HELP,
    "pull_all_images": "also pull tags that exist already (default on)",
    "insecure": "allow an insecure registry (daemon configuration decides; see docs)"})
def pull_images(c: Context, names: str, instances: str | None = None,
                pull_all_images: bool = True, insecure: bool = False, *,
                flags: TaskFlags) -> None:
    """Pull the images of containers."""
    _map(c, "pull-images", names, instances, flags, method="pull_images",
         pull_all_images=pull_all_images, pull_insecure_registry=insecure or None)


# --- scripts -------------------------------------------------------------------------------

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
}


def _script_options(entrypoint: str | None, command: str | None, wait_timeout: str | None,
                    container_script_dir: str | None, timestamps: bool, tail: str | None,
                    remove_existing_before: bool, remove_created_after: bool
                    ) -> dict[str, Any]:
    return {"entrypoint": entrypoint,
            "command_format": shlex.split(command) if command else None,
            "wait_timeout": number(wait_timeout),
            "container_script_dir": container_script_dir,
            "timestamps": timestamps or None, "tail": number(tail),
            "remove_existing_before": remove_existing_before,
            "remove_created_after": remove_created_after}


@host_task(flags=MAP_FLAGS, post=[summary], help={
    **SCRIPT_HELP, "script_path": "local script file or directory (uploaded to each host)"})
def script(c: Context, name: str, script_path: str, instance: str | None = None,
           entrypoint: str | None = None, command_format: str | None = None,
           wait_timeout: str | None = None, container_script_dir: str | None = None,
           timestamps: bool = False, tail: str | None = None,
           remove_existing_before: bool = False, remove_created_after: bool = True,
           download: str | None = None, *, flags: TaskFlags) -> None:
    """Upload a local script (file or directory) and run it in a container of the map."""
    options = _script_options(entrypoint, command_format, wait_timeout, container_script_dir,
                              timestamps, tail, remove_existing_before, remove_created_after)
    from dockerfab.fabric import planwork

    planwork.script_task(Run.of(c), c, "script", name, instance, script_path, options,
                         download, flags)


@host_task(name="single-cmd", flags=MAP_FLAGS, post=[summary], help={
    **{k: v for k, v in SCRIPT_HELP.items()
       if k not in ("command_format", "container_script_dir", "download")},
    "command": "the command line (run with /bin/sh -c unless --entrypoint is given; then "
               "split like a shell line)"})
def single_cmd(c: Context, name: str, command: str, instance: str | None = None,
               entrypoint: str | None = None, wait_timeout: str | None = None,
               timestamps: bool = False, tail: str | None = None,
               remove_existing_before: bool = False, remove_created_after: bool = True, *,
               flags: TaskFlags) -> None:
    """Run one command in a new container of a configuration and print its output.

    Without --entrypoint the command line runs under ``/bin/sh -c``."""
    if entrypoint is None:
        entrypoint, command = "/bin/sh", "-c " + shlex.quote(command)
    options = _script_options(entrypoint, command, wait_timeout, None, timestamps, tail,
                              remove_existing_before, remove_created_after)
    from dockerfab.fabric import planwork

    planwork.script_task(Run.of(c), c, "single-cmd", name, instance, None, options, None,
                         flags)


# --- status --------------------------------------------------------------------------------

#: Exit status of ``status`` when every host answered but something is out of sync.
OUT_OF_SYNC_EXIT = 3


@task
def status_summary(c: Context) -> None:
    """End of ``status``: the per-host table; exit 1 when a host failed, 3 when anything is
    out of sync (drifted, stopped, missing, unhealthy, orphaned)."""
    reporter = Run.of(c).reporter
    code = _exit_status(Run.of(c), reporter.summary())
    if code:
        raise Exit(code=code)
    if not reporter.last_in_sync:
        raise Exit(code=OUT_OF_SYNC_EXIT)


@host_task(flags=STATUS_FLAGS, post=[status_summary], help={
    "remove_orphans": "remove orphaned containers, volumes and networks (asks first "
                      "unless --yes)",
    "yes": "do not ask before removing orphans"})
def status(c: Context, remove_orphans: bool = False, yes: bool = False, *,
           flags: TaskFlags) -> None:
    """Compare the hosts with the maps; change nothing (unless --remove-orphans).

    Shows each map container as in sync, drifted (with the differences), stopped, missing
    or unhealthy, and the orphans: labelled items the loaded maps no longer have. Exit
    status 3 when anything is out of sync, 1 when a host failed."""
    from dockerfab.fabric import planwork

    planwork.status_task(Run.of(c), c, flags, remove_orphans, yes)


@host_task(help={"values": "also print environment values and values read with !env "
                           "(hidden by default: they may be secrets)"},
           auto_shortflags=False)  # no -v: it means verbose everywhere else
def show(c: Context, values: bool = False, *, flags: TaskFlags) -> None:
    """Print the loaded maps as YAML (after extends are merged); environment values and
    values read with !env hidden."""
    from dockerfab.output.showmap import map_yaml

    for container_map in Run.of(c).maps():
        print(map_yaml(container_map, values), end="")


# --- containers' output: logs, exec ---------------------------------------------------------

@host_task(flags=LINE_FLAGS, post=[finish], short={"follow": "f"}, help={
    **MAP_HELP,
    "tail": "the last N lines of each container, or 'all' (default 100)",
    "since": "only lines since then: a duration back from now (10m, 1h30m) or a time "
             "(RFC 3339: 2026-12-01T10:00:00Z)",
    "follow": "keep printing new lines, from every host at once, until Ctrl-C or until "
              "every container stopped",
    "timestamps": "Docker's timestamp before each line"})
def logs(c: Context, names: str, instances: str | None = None, tail: str = "100",
         since: str | None = None, follow: bool = False, timestamps: bool = False, *,
         flags: TaskFlags) -> None:
    """The logs of containers (every instance), each line as [host] container | line;
    stderr lines on stderr. Reads only: no deploy lock (docs/tasks.rst)."""
    import time

    from dockerfab.engine.containerio import LogOptions
    from dockerfab.fabric.containerwork import logs_task

    options = LogOptions(tail=tail_lines(tail), since=since_time(since, time.time()),
                         follow=follow, timestamps=timestamps)
    logs_task(Run.of(c), c, split_list(names), split_list(instances), options, flags)


@host_task(name="exec", flags=LINE_FLAGS, post=[finish], iterable=["env"], help={
    "name": "one container configuration ('config' or 'map.config'); every instance runs "
            "the command",
    "instance": "only these instances (comma-separated)",
    "user": "user (name or uid[:gid]) to run the command as",
    "workdir": "working directory of the command in the container",
    "env": "NAME=VALUE for the command's environment (repeatable)"})
def exec_(c: Context, name: str, instance: str | None = None, user: str | None = None,
          workdir: str | None = None, env: list[str] | None = None, *,
          flags: TaskFlags) -> None:
    """Run the command given after '--' in the running containers of one configuration:
    dockerfab -H web1,web2 exec web_server -- cat /etc/hostname

    The command is run as given, without a shell (write 'sh -c "..."' for one); no TTY,
    no input (not interactive). Each line as [host] container | line; each container's
    exit status; exit status 1 when any was not 0. No deploy lock (docs/tasks.rst)."""
    from dockerfab.engine.containerio import ExecOptions
    from dockerfab.fabric.containerwork import exec_task
    from dockerfab.fabric.executor import task_command

    command = task_command(c)
    options = ExecOptions(user=user, workdir=workdir, environment=env_pairs(env))
    exec_task(Run.of(c), c, name, split_list(instance), command, options, flags)


exec_.takes_command = True  # what follows '--' is its command (fabric.executor)


# --- releases, rollback, deploy lock, audit log ---------------------------------------------

def _selected(run: Run, maps: list[Any], names: str | None) -> set[str] | None:
    """Container names meant by ``names`` (None: all); unknown names raise MapError."""
    if not names:
        return None
    from dockerfab.map.naming import container_name
    from dockerfab.map.select import select_in

    return {container_name(i.map_name, i.config_name, i.instance_name)
            for i in select_in(maps, split_list(names))}


@host_task(flags=MAP_FLAGS, post=[summary], help={
    "names": "only these container configurations (and what depends on them), comma-"
             "separated; default all",
    "to": "the release to go back to (its id or a unique beginning); default the newest "
          "one that differs from what runs now", **GATE_HELP, **LOCK_HELP})
def rollback(c: Context, names: str | None = None, to: str | None = None,
             lock_wait: str | None = None, wait: bool = True, readiness: str | None = None,
             health_timeout: str | None = None, *, flags: TaskFlags) -> None:
    """Re-create containers exactly as an earlier release had them (image and
    configuration), in dependency order, each ready before the next; itself a release."""
    from dockerfab.rollout.rolling import deploy
    from dockerfab.rollout.work import rollback_work

    run = Run.of(c)
    settings = gate_settings(run.begin("rollback", flags), {
        "wait": wait, "readiness": readiness, "health_timeout": health_timeout})
    maps = run.maps()
    work = rollback_work(settings.state_dir, maps, _selected(run, maps, names), to,
                         flags.dry_run, readiness=settings.readiness,
                         timeout=settings.health_timeout, stop=run.stop, wait=settings.wait)
    if flags.dry_run:
        run.on_hosts(c, "rollback", work)
    else:
        deploy(run, c, "rollback", split_list(names), maps, work, {"to": to},
               {"lock_wait": lock_wait})


@host_task(post=[finish], help={"names": "only these container configurations "
                                         "(comma-separated)"})
def releases(c: Context, names: str | None = None, *, flags: TaskFlags) -> None:
    """The releases of each host, newest first, with what changed between them."""
    from dockerfab.rollout.work import releases_work

    run = Run.of(c)
    run.begin("releases", flags)
    maps = run.maps()
    run.on_hosts(c, "releases", releases_work(run.settings.state_dir, maps,
                                              _selected(run, maps, names)))


@host_task(post=[finish])
def lock(c: Context, *, flags: TaskFlags) -> None:
    """The deploy locks held on each host: map, who, pid, since when, which task."""
    from dockerfab.rollout.work import lock_work

    run = Run.of(c)
    run.begin("lock", flags)
    run.on_hosts(c, "lock", lock_work(run.settings.state_dir))


@host_task(post=[finish], help={"map": "only the lock of this map (default: every lock on "
                                       "the host)"})
def unlock(c: Context, map: str | None = None, *, flags: TaskFlags) -> None:
    """Remove a deploy lock left behind by a run that was killed."""
    from dockerfab.rollout.work import unlock_work

    run = Run.of(c)
    run.begin("unlock", flags)
    run.on_hosts(c, "unlock", unlock_work(run.settings.state_dir, split_list(map)))


@host_task(post=[finish], help={"last": "only the last N records",
                                "map": "only the records of these maps (comma-separated)"})
def audit(c: Context, last: str | None = None, map: str | None = None, *,
          flags: TaskFlags) -> None:
    """The audit log of each host: time, who, map, task, names, flags, result, release."""
    from dockerfab.rollout.work import audit_work

    run = Run.of(c)
    run.begin("audit", flags)
    count = number(last)
    run.on_hosts(c, "audit", audit_work(run.settings.state_dir, split_list(map),
                                        int(count) if count else None))


# --- host utilities ------------------------------------------------------------------------

def _utility(c: Context, name: str, fn: Callable[[HostSession], Any],
             changes: dict[str, Any] | None = None, lock_wait: str | None = None,
             confirm: Callable[[HostSession], bool] | None = None) -> None:
    """A host utility: ``fn`` on every host; its return value is the host's JSON result.
    One that changes the daemon (``changes``: its flags as the audit log records them)
    runs in the host's deploy locks and leaves an audit record (docs/rollouts.rst), after
    ``confirm`` (if given) said yes for the host."""
    def work(session: HostSession) -> tuple[None, Any]:
        return None, fn(session)

    run = Run.of(c)
    run.begin(name, TaskFlags())
    if changes is None:
        run.on_hosts(c, name, work)
    else:
        from dockerfab.rollout.rolling import change_hosts

        change_hosts(run, c, name, work, changes, lock_wait, confirm)


def _table(c: Context, name: str, table: Callable[[Any], hostinfo.Table]) -> None:
    def fn(session: HostSession) -> Any:
        headers, rows = table(session.client)
        session.reporter.data(session.label, "", format_table(headers, rows))
        return [dict(zip(headers, row)) for row in rows]
    _utility(c, name, fn)


@host_task(post=[finish])
def version(c: Context, *, flags: TaskFlags) -> None:
    """Docker version of each host."""
    _table(c, "version", hostinfo.version_table)


@host_task(post=[finish])
def info(c: Context, *, flags: TaskFlags) -> None:
    """Docker daemon information of each host (name, counts, storage, resources)."""
    _table(c, "info", hostinfo.info_table)


@host_task(name="list-containers", post=[finish], help={
    "all": "include stopped containers (default on; --no-all: running only)"})
def list_containers(c: Context, all: bool = True, *, flags: TaskFlags) -> None:
    """Containers of each host: name, image, status, id."""
    _table(c, "list-containers", lambda client: hostinfo.containers_table(client, all))


@host_task(name="list-images", post=[finish])
def list_images(c: Context, *, flags: TaskFlags) -> None:
    """Images of each host: tags, id, size."""
    _table(c, "list-images", hostinfo.images_table)


@host_task(name="list-networks", post=[finish])
def list_networks(c: Context, *, flags: TaskFlags) -> None:
    """Networks of each host: name, driver, id."""
    _table(c, "list-networks", hostinfo.networks_table)


@host_task(name="list-volumes", post=[finish])
def list_volumes(c: Context, *, flags: TaskFlags) -> None:
    """Volumes of each host: name, driver."""
    _table(c, "list-volumes", hostinfo.volumes_table)


def _cleanup(c: Context, name: str, what: str, remove: Callable[[HostSession], list[str]],
             changes: dict[str, Any], lock_wait: str | None) -> None:
    """A clean-up utility: ``remove`` on every host, reporting what it removed."""
    _utility(c, name, lambda s: _removed(s, what, remove(s)), changes, lock_wait)


def _removed(session: HostSession, what: str, names: list[str]) -> list[str]:
    session.reporter.message(session.label, f"removed {len(names)} {what}" +
                             (": " + ", ".join(names) if names else ""))
    return names


@host_task(name="cleanup-containers", post=[finish], help={
    "include_initial": "also remove containers that were never started",
    "exclude": "names to keep (comma-separated)", **LOCK_HELP})
def cleanup_containers(c: Context, include_initial: bool = False, exclude: str | None = None,
                       lock_wait: str | None = None, *, flags: TaskFlags) -> None:
    """Remove stopped containers."""
    _cleanup(c, "cleanup-containers", "containers", lambda s: s.client.cleanup_containers(
        include_initial=include_initial, exclude=split_list(exclude)),
        {"include_initial": include_initial, "exclude": exclude}, lock_wait)


@host_task(name="cleanup-images", post=[finish], help={
    "remove_old": "also remove tagged images without a 'latest' tag",
    "keep_tags": "tags to keep with --remove-old (comma-separated)", **LOCK_HELP})
def cleanup_images(c: Context, remove_old: bool = False, keep_tags: str | None = None,
                   lock_wait: str | None = None, *, flags: TaskFlags) -> None:
    """Remove untagged images (and with --remove-old, old tagged ones); never an image
    that a kept release (see ``releases``) needs."""
    from dockerfab.rollout.guard import store_of

    state_dir = Run.of(c).settings.state_dir
    _cleanup(c, "cleanup-images", "images", lambda s: s.client.cleanup_images(
        remove_old=remove_old, keep_tags=split_list(keep_tags),
        keep_ids=store_of(s, state_dir).release_images()),
        {"remove_old": remove_old, "keep_tags": keep_tags}, lock_wait)


@host_task(name="remove-all-containers", post=[finish], help={
    "yes": "do not ask for confirmation", "stop_timeout": "seconds to wait for each stop",
    "exclude": "names to keep (comma-separated)", **LOCK_HELP})
def remove_all_containers(c: Context, yes: bool = False, stop_timeout: int = 10,
                          exclude: str | None = None, lock_wait: str | None = None, *,
                          flags: TaskFlags) -> None:
    """Stop and remove EVERY container on each host (asks first unless --yes)."""
    run = Run.of(c)

    def confirmed(session: HostSession) -> bool:  # asked before the host's locks are taken
        if yes or run.confirm(f"Remove ALL containers on {session.label}?"):
            return True
        session.reporter.message(session.label, "skipped (not confirmed)")
        return False

    def fn(session: HostSession) -> Any:
        return _removed(session, "containers", session.client.remove_all_containers(
            stop_timeout=int(stop_timeout), exclude=split_list(exclude)))
    _utility(c, "remove-all-containers", fn,
             {"yes": yes, "exclude": exclude,
              "stop_timeout": None if int(stop_timeout) == 10 else int(stop_timeout)},
             lock_wait, confirmed)


@host_task(name="save-image", post=[finish], help={
    "image": "image name or id",
    "path": "local file; '{host}' is replaced by the host name (use it with several hosts, "
            "or they overwrite each other's file)"})
def save_image(c: Context, image: str, path: str, *, flags: TaskFlags) -> None:
    """Download an image from each host as a tarball (docker save), streamed."""
    def fn(session: HostSession) -> Any:
        from dockerfab.fabric.transfer import save_image as save

        target = save(session, image, path)
        session.reporter.message(session.label, f"saved {image} to {target}")
        return target
    _utility(c, "save-image", fn)


@host_task(name="load-image", post=[finish], help={"path": "local image tarball (docker save)",
                                                   **LOCK_HELP})
def load_image(c: Context, path: str, lock_wait: str | None = None, *,
               flags: TaskFlags) -> None:
    """Upload an image tarball to each host (docker load), streamed."""
    def fn(session: HostSession) -> Any:
        from dockerfab.fabric.transfer import load_image as load

        messages = load(session, path)
        for line in messages:
            session.reporter.message(session.label, line)
        return messages
    _utility(c, "load-image", fn, {"path": path}, lock_wait)


@host_task(name="get-ip", post=[finish], help={"interface": "only this interface (e.g. eth0)",
                                               "ipv6": "IPv6 addresses instead of IPv4"})
def get_ip(c: Context, interface: str | None = None, ipv6: bool = False, *,
           flags: TaskFlags) -> None:
    """IP addresses of each host's interfaces (from `ip -o addr`)."""
    from dockerfab.fabric.actions import get_ip as addresses

    def fn(session: HostSession) -> Any:
        rows = addresses(session, interface, ipv6)
        session.reporter.data(session.label, "", format_table(("interface", "address"), rows))
        return [{"interface": i, "address": a} for i, a in rows]
    _utility(c, "get-ip", fn)


ns = Collection(
    startup, shutdown, create, start, stop, remove, restart, update, kill, pull_images,
    script, single_cmd, show, status, logs, exec_, rollback, releases, lock, unlock, audit,
    version, info, list_containers, list_images, list_networks, list_volumes,
    cleanup_containers, cleanup_images, remove_all_containers, save_image, load_image, get_ip)
# Compose files in and out (no hosts involved): dockerfab/compose_tasks.py
ns.add_task(import_compose)
ns.add_task(export_compose)
ns.configure({"docker": defaults()})

__all__ = ["OUT_OF_SYNC_EXIT", "ns"]
