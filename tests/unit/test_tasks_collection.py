"""The task collection as the command line sees it, and the pure helpers behind it."""
from __future__ import annotations

from fabric import Config, Connection
from fabric.executor import Executor
from invoke import Call, Collection
from invoke.parser import Parser

from dockerfab.fabric.actions import parse_ip_addr
from dockerfab.fabric.clientconfig import FabricClientConfiguration
from dockerfab.fabric.executor import group_calls
from dockerfab.fabric.flags import split_list
from dockerfab.fabric.hosts import resolve_targets
from dockerfab.tasks import ns

MAP_ACTIONS = ["startup", "shutdown", "create", "start", "stop", "remove", "restart",
               "update", "kill", "pull-images", "script", "single-cmd", "show", "status",
               "rollback"]
UTILITIES = ["version", "info", "list-containers", "list-images", "list-networks",
             "list-volumes", "cleanup-containers", "cleanup-images", "remove-all-containers",
             "save-image", "load-image", "get-ip", "releases", "lock", "unlock", "audit",
             "logs", "exec"]
LOCAL = ["import-compose", "export-compose"]  # no hosts involved


def parse(*argv: str):
    parser = Parser(contexts=ns.to_contexts())
    return parser.parse_argv(list(argv))


def test_collection_has_every_task():
    assert sorted(ns.task_names) == sorted(MAP_ACTIONS + UTILITIES + LOCAL)


def test_every_flag_has_help():
    for _ in range(2):  # a second parser in the same process (an in-process run) too
        for context in ns.to_contexts():
            for arg in context.flags.values():
                if arg.name not in ("names",):
                    assert arg.help, f"{context.name} --{arg.name} has no help"


def test_settings_default_under_one_key():
    assert set(ns.configuration()) == {"docker"}
    assert ns.configuration()["docker"]["accept_unknown_hosts"] is False


def test_map_action_flags_are_typed():
    result = parse("startup", "web_server,app_server", "--instances", "instance1",
                   "--no-prepare-local", "update", "web", "--force-update", "a",
                   "--force-update", "b", "--skip-limit-reset")
    startup, update = result
    assert startup.as_kwargs == {"names": "web_server,app_server", "instances": "instance1",
                                 "prepare_local": False, "fail_fast": False,
                                 "dry_run": False, "format": None, "quiet": False,
                                 "verbose": False, "adopt_foreign": False,
                                 "replace_foreign": False, "wait": True, "readiness": None,
                                 "health_timeout": None,
                                 "lock_wait": None}
    assert update.as_kwargs["force_update"] == ["a", "b"]
    assert update.as_kwargs["skip_limit_reset"] is True


def test_starting_tasks_take_the_health_gate_flags():
    for name in ("startup", "start", "restart", "update"):
        [call] = parse(name, "web", "--no-wait", "--readiness", "1.5", "--health-timeout", "9")
        assert call.as_kwargs["wait"] is False
        assert (call.as_kwargs["readiness"], call.as_kwargs["health_timeout"]) == ("1.5", "9")


def test_map_actions_end_with_summary_utilities_with_finish():
    for name in MAP_ACTIONS:
        if name not in ("show", "status"):
            assert [t.name for t in ns[name].post] == ["summary"], name
    assert [t.name for t in ns["status"].post] == ["status_summary"]
    for name in UTILITIES:
        assert [t.name for t in ns[name].post] == ["finish"], name


def test_split_list():
    assert split_list(None) == []
    assert split_list("a, b,,c") == ["a", "b", "c"]
    assert split_list(["a,b", "c"]) == ["a", "b", "c"]


def test_parse_ip_addr():
    out = ("1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever\n"
           "4: eth0    inet 198.18.0.11/24 brd 198.18.0.255 scope global eth0\\  x\n"
           "5: veth1@if4    inet6 fe80::1/64 scope link \\       valid_lft forever\n"
           "garbage\n")
    assert parse_ip_addr(out) == [("lo", "inet", "127.0.0.1"), ("eth0", "inet", "198.18.0.11"),
                                  ("veth1", "inet6", "fe80::1")]


def test_executor_groups_per_host_calls_of_one_task():
    coll = Collection.from_module(__import__("dockerfab.tasks", fromlist=["ns"]))
    executor = Executor(coll, Config())
    calls = [Call(ns["startup"], kwargs={"names": "web"}), Call(ns["version"])]
    hosts = [{"host": "h1"}, {"host": "h2"}]
    expanded = []
    for call in calls:
        expanded += [executor.parameterize(call, dict(h)) for h in hosts]
        expanded += [Call(t) for t in call.task.post]
    groups = group_calls(expanded)
    assert [len(g) for g in groups] == [2, 1, 2, 1]
    assert [g[0].task.name for g in groups] == ["startup", "summary", "version", "finish"]


def test_targets_from_clients_group_by_fabric_host():
    clients = {"a1": FabricClientConfiguration(fabric_host="h1"),
               "a2": FabricClientConfiguration(fabric_host="h1", base_url="/other.sock"),
               "b": FabricClientConfiguration(fabric_host="h2")}
    targets = resolve_targets([], clients)
    assert [(t.host, sorted(t.clients)) for t in targets] == [("h1", ["a1", "a2"]),
                                                             ("h2", ["b"])]
    assert [t.label for t in resolve_targets([], {})] == ["localhost"]


def test_targets_from_connection_take_that_hosts_clients():
    config = Config(overrides={"load_ssh_configs": False})
    clients = {"a": FabricClientConfiguration(fabric_host="root@h1"),
               "b": FabricClientConfiguration(fabric_host="h2")}
    (target,) = resolve_targets([Connection("root@h1", config=config)], clients)
    assert target.host == "h1" and sorted(target.clients) == ["a"]
    assert target.connection is not None


def test_the_program_hands_all_h_hosts_to_one_call_of_a_task():
    """-H h1,h2: the task runs once, with both hosts in the run (one fan-out), not once per
    host; the post-task runs once after it."""
    from fabric.tasks import task

    from dockerfab.cli import DockerfabProgram
    from dockerfab.fabric.executor import ParallelExecutor
    from dockerfab.fabric.pipeline import Run

    calls = []

    @task
    def after(c):
        calls.append(("after", [h.host for h in Run.of(c).cli_hosts]))

    @task(post=[after])
    def probe(c):
        run = Run.of(c)
        calls.append(("probe", [h.host for h in run.cli_hosts], id(run)))

    program = DockerfabProgram(name="dockerfab", binary="dockerfab", version="0",
                               namespace=Collection(probe, after),
                               executor_class=ParallelExecutor, config_class=Config)
    program.run(["dockerfab", "-H", "h1,h2", "probe"], exit=False)
    assert [c[:2] for c in calls] == [("probe", ["h1", "h2"]), ("after", [])]


def test_shared_flags_keep_their_short_forms_in_every_task():
    """-o json, -d, -v, -q mean the same in every task, however many options it has, and
    no flag gets Invoke's broken '-' short form (shown as '--=STRING')."""
    shared = {"format": "o", "dry_run": "d", "verbose": "v", "quiet": "q", "fail_fast": "f"}
    for context in ns.to_contexts():
        for arg in context.args.values():
            assert "-" not in arg.names and "_" not in arg.names, (context.name, arg.names)
            if arg.attr_name in shared:
                assert shared[arg.attr_name] in arg.names, (context.name, arg.names)
    assert parse("update", "web", "-o", "json")[0].args.format.value == "json"


def test_task_reference_gives_every_option_a_text():
    from pathlib import Path

    page = Path(__file__).parents[2] / "docs" / "tasks.rst"
    assert "\n    None\n" not in page.read_text()
