"""The map tasks: what they do for the run (:func:`map_task`, :func:`script_task`,
:func:`status_task`) and per host (real runs: plan, report, execute; dry runs: plan,
report, change nothing; fleet status). The engine calls are in
:mod:`dockerfab.engine.preview` and :mod:`dockerfab.engine.status`; this module only wires
them to the run, a host session and its reporter."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dockerfab.errors import PartialResultsError
from dockerfab.fabric.actions import mapping_client
from dockerfab.fabric.flags import TaskFlags, gate_settings
from dockerfab.fabric.pipeline import Run
from dockerfab.fabric.run import HostSession, Work
from dockerfab.rollout.config import RolloutOptions, take_rollout_flags


def _close(client: Any) -> None:
    close = getattr(client, "close", None)  # the engine client's observation threads
    if callable(close):
        close()


def _report_pulls(client: Any, session: HostSession) -> None:
    """Pulls report byte progress to the run's reporter (bars on a terminal)."""
    label = session.label
    client.progress = lambda what, done, total, final: session.reporter.progress(
        label, what, done, total, final)


def _kwargs(options: dict[str, Any], instances: Sequence[str] | None) -> dict[str, Any]:
    kwargs = {k: v for k, v in options.items() if v is not None}
    if instances:
        kwargs["instances"] = list(instances)
    return kwargs


def map_run(maps: Sequence[Any], method: str, names: Sequence[str],
            instances: Sequence[str] | None, options: dict[str, Any]) -> Work:
    """Plan, hand the plan to the reporter (printed with ``-v``), execute it; the results
    (with durations) go to the report, also the partial ones of a failed run."""
    from dockerfab.engine.preview import plan_call
    from dockerfab.plan.options import ActionOptions
    from dockerfab.plan.request import call_steps

    def work(session: HostSession) -> tuple[int | None, Any]:
        client = mapping_client(session, maps)
        if not client.maps:
            session.reporter.message(session.label, "no map is deployed to this host")
            return 0, None
        kwargs = _kwargs(options, instances)
        _report_pulls(client, session)
        try:
            if len(call_steps(method, ActionOptions.from_kwargs(dict(kwargs)))) > 1:
                # each step is planned after the one before ran (the update against the
                # pulled image ids), so there is no one plan to show first
                results = client.run_action(method, list(names), **kwargs)
            else:
                plan = plan_call(client, method, list(names), **kwargs)
                session.reporter.plan(session.label, plan, len(plan.unchanged),
                                      dry_run=False)
                results = client.execute(plan)
        except PartialResultsError as exc:
            session.reporter.done(session.label, list(exc.results or ()))
            raise
        finally:
            _close(client)
        session.reporter.done(session.label, results)
        return len(results.unchanged), None
    return work


def map_dry_run(maps: Sequence[Any], method: str, names: Sequence[str],
                instances: Sequence[str] | None, options: dict[str, Any]) -> Work:
    """The plan only: list and inspect calls, nothing changed."""
    from dockerfab.engine.preview import plan_call

    def work(session: HostSession) -> tuple[int | None, Any]:
        client = mapping_client(session, maps)
        if not client.maps:
            session.reporter.message(session.label, "no map is deployed to this host")
            return 0, None
        try:
            plan = plan_call(client, method, list(names), **_kwargs(options, instances))
        finally:
            _close(client)
        unchanged = len(plan.unchanged)
        session.reporter.plan(session.label, plan, unchanged, dry_run=True)
        return unchanged, None
    return work


def script_dry_run(maps: Sequence[Any], name: str, instance: str | None,
                   local_script: str | None, options: dict[str, Any]) -> Work:
    """What ``script``/``single-cmd`` would do, without uploading or creating anything."""
    from dockerfab.engine.preview import plan_script

    def work(session: HostSession) -> tuple[int | None, Any]:
        client = mapping_client(session, maps)
        if local_script:
            session.reporter.message(session.label, f"would upload {local_script} to a new "
                                     "temporary directory on the host")
        plan = plan_script(client, name, instance,
                           remove_existing_before=bool(options.get("remove_existing_before")),
                           remove_created_after=options.get("remove_created_after", True))
        session.reporter.plan(session.label, plan, None, dry_run=True)
        return None, None
    return work


def status_work(maps: Sequence[Any], remove: bool, confirm: Callable[[str], bool]) -> Work:
    """Status of the host's map containers and orphans; with ``remove``, orphans are
    removed (after ``confirm(question)``) and no longer count as out of sync."""
    from dockerfab.engine.status import fleet_status, remove_orphans

    def work(session: HostSession) -> tuple[int | None, Any]:
        client = mapping_client(session, maps)
        if not client.maps:
            session.reporter.message(session.label, "no map is deployed to this host")
            session.reporter.status(session.label, [])
            return None, None
        try:
            statuses = fleet_status(client)
            session.reporter.status(session.label, statuses)
            orphans = [o for s in statuses for o in s.orphans]
            if remove and orphans:
                question = (f"Remove {len(orphans)} orphan(s) on {session.label} ("
                            + ", ".join(o.name for o in orphans) + ")?")
                if confirm(question):
                    remove_orphans(client, statuses)
                    for s in statuses:
                        s.orphans = []
                    session.reporter.message(session.label,
                                             f"removed {len(orphans)} orphan(s)")
                else:
                    session.reporter.message(session.label, "orphans kept (not confirmed)")
        finally:
            _close(client)
        return None, None
    return work


#: Tasks that only take down what exists: they load maps whose other configurations are
#: incomplete (an undefined interface, an attached volume without a path).
TAKE_DOWN = frozenset({"shutdown", "stop", "remove", "restart", "kill"})


def _open_early(run: Run, context: Any, rollout: dict[str, Any]) -> None:
    """Start the hosts' SSH handshakes (:meth:`Run.open_early`) once the rollout flags are
    known to be good, unless a pre-deploy hook runs first (no host is contacted before it
    succeeds) or the hosts go batch by batch."""
    options = RolloutOptions.from_settings(run.settings, **rollout)  # a bad flag: exit 2
    if options.batch is None and options.pre_deploy is None:
        run.open_early(context)


def map_task(run: Run, context: Any, task: str, method: str, names: Sequence[str],
             instances: Sequence[str], flags: TaskFlags, options: dict[str, Any]) -> None:
    """A map action task on every host of the call: maps loaded and names checked once for
    the run, then a real run or a dry run per host."""
    run.settings = gate_settings(run.begin(task, flags), options)
    rollout = take_rollout_flags(options)
    maps = run.maps(complete=task not in TAKE_DOWN)
    run.check_names(maps, names, instances)
    if flags.dry_run:
        run.open_early(context)
        run.on_hosts(context, task, map_dry_run(maps, method, list(names), list(instances),
                                                options))
        return
    _open_early(run, context, rollout)
    from dockerfab.rollout.rolling import deploy  # imported while the handshakes run

    work = map_run(maps, method, list(names), list(instances), options)
    deploy(run, context, task, names, maps, work, {"instances": list(instances), **options},
           rollout)


def script_task(run: Run, context: Any, task: str, name: str, instance: str | None,
                local_script: str | None, options: dict[str, Any], download: str | None,
                flags: TaskFlags) -> None:
    """``script``/``single-cmd`` on every host of the call (or what it would do)."""
    from dockerfab.fabric.actions import script_action
    from dockerfab.rollout.rolling import deploy

    run.begin(task, flags)
    maps = run.maps()
    if flags.dry_run:
        run.open_early(context)
        run.on_hosts(context, task, script_dry_run(maps, name, instance, local_script,
                                                   options))
        return
    work = script_action(maps, name, instance, local_script, options, download)
    deploy(run, context, task, [name], maps, work, {"instance": instance,
                                                    "script": local_script}, {})


def status_task(run: Run, context: Any, flags: TaskFlags, remove: bool, yes: bool) -> None:
    """``status`` on every host of the call; orphans removed with ``remove`` (asked first
    unless ``yes``): then, as every changing run, in the deploy lock of the host's maps,
    with a release and an audit record."""
    run.begin("status", flags)
    maps = run.maps()
    run.open_early(context)
    work = status_work(maps, remove, lambda q: yes or run.confirm(q))
    if remove:
        from dockerfab.rollout.guard import changing_run, guarded

        work = guarded(work, changing_run(run.settings, "status", [], maps,
                                          {"remove_orphans": True, "yes": yes}, run.stop))
    run.on_hosts(context, "status", work)
