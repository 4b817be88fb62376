"""What the engine hands its callers besides actions: the containers a plan or run examined
(and left unchanged), and the per-client planning input status works from."""
from __future__ import annotations

from dockerfab.map.container import ContainerMap
from tests.integration.test_engine_support import (  # noqa: F401 (fixtures)
    Cleanup,
    cleanup_fixture,
    engine_images_fixture,
    mapping_client,
)

IMAGE = "dockerfab-test/base"


def linked_map(name: str) -> ContainerMap:
    """``web`` links ``db``; ``other`` is unrelated to both."""
    sleep = {"command": ["sh", "-c", "exec sleep 3601"]}
    return ContainerMap(name, {
        "db": {"image": IMAGE, "create_options": sleep, "stop_timeout": 1},
        "web": {"image": IMAGE, "links": [("db", "db")], "create_options": sleep,
                "stop_timeout": 1},
        "other": {"image": IMAGE, "create_options": sleep, "stop_timeout": 1},
    })


def test_plans_and_results_name_the_containers_left_unchanged(docker_api, engine_images,
                                                               cleanup: Cleanup):
    name = cleanup.name("examined")
    db, web = f"{name}.db", f"{name}.web"
    mc = mapping_client(linked_map(name), docker_api, wait=False)

    first = mc.startup("web")  # follows the dependency path: db, then web
    assert first.examined == {db, web} and first.unchanged == set()
    again = mc.plan("startup", "web")
    assert again == [] and again.unchanged == {db, web}

    stopped = mc.stop("db")  # dependents first: web, then db
    assert [r.item for r in stopped if r.kind == "stop"] == [web, db]
    assert stopped.unchanged == set()
    partly = mc.plan("startup", "db")
    assert {a.item for a in partly} == {db} and partly.unchanged == set()
    mc.start("db")
    assert mc.plan("startup", "web").unchanged == {db}
    assert mc.update("web").unchanged == {db}


def test_plan_inputs_reads_the_host_without_touching_the_generators(docker_api,
                                                                    engine_images,
                                                                    cleanup: Cleanup):
    name = cleanup.name("inputs")
    mc = mapping_client(linked_map(name), docker_api, wait=False)
    mc.startup("db")
    generators = dict(mc.generators)

    inputs = mc.plan_inputs("update", "__all__")
    assert mc.generators == generators
    assert len(inputs) == 1
    inp = inputs[0]
    assert inp.client.name == "__default__"
    assert set(inp.desired) == {f"{name}.db", f"{name}.web", f"{name}.other"}
    assert inp.selected == set(inp.desired)
    assert [set(level) for level in inp.levels] == [{f"{name}.db", f"{name}.other"},
                                                    {f"{name}.web"}]
    assert inp.snapshot.container(f"{name}.db").running
    assert inp.snapshot.container(f"{name}.web") is None
    # nothing was created or started by looking
    listed = docker_api.containers(all=True, filters={"name": name})
    assert sorted(n.lstrip("/") for c in listed for n in c["Names"]) == [f"{name}.db"]
