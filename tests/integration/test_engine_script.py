"""run_script (spec 3.8.3) on the local daemon."""
from __future__ import annotations

import pytest

from dockerfab.errors import ScriptActionException
from dockerfab.map.container import ContainerMap
from tests.integration.test_engine_support import (  # noqa: F401 (fixtures)
    Cleanup,
    cleanup_fixture,
    container_names,
    engine_images_fixture,
    mapping_client,
)

IMAGE = "dockerfab-test/base"


def script_map(name: str) -> ContainerMap:
    return ContainerMap(name, {
        "networks": {"net": {}},
        "volumes": {"sock": "/var/run/sock"},
        "server": {"image": IMAGE, "attaches": "sock", "networks": "net", "stop_timeout": 2},
        "client": {"image": IMAGE, "uses": "sock", "networks": "net", "stop_timeout": 2},
    })


def test_run_script_with_dependencies(docker_api, engine_images, cleanup: Cleanup, tmp_path):
    name = cleanup.name("script")
    script = tmp_path / "test_script.sh"
    script.write_text("echo hello from $0\nls /var/run\necho oops >&2\nexit 3\n")
    mc = mapping_client(script_map(name), docker_api)
    result = mc.run_script("client", script_path=str(script), entrypoint="/bin/sh",
                           command_format=["{script_path}"])
    out = result["__default__"]
    assert out["exit_code"] == 3
    assert out["log"] == "hello from /tmp/script_run/test_script.sh\nsock\n"  # stdout only
    assert len(out["id"]) == 64
    # the dependency was started; the script's container is gone again
    assert docker_api.inspect_container(f"{name}.server")["State"]["Running"]
    assert container_names(docker_api, name) == {f"{name}.server"}

    # a directory as script_path; keep the container (both option names accepted)
    result = mc.run_script("client", script_path=str(tmp_path), entrypoint="/bin/sh",
                           command_format=["-c", "cat {script_path}/test_script.sh | wc -l"],
                           remove_created_after=False)
    assert result["__default__"]["log"].strip() == "4"
    assert f"{name}.client" in container_names(docker_api, name)
    with pytest.raises(ScriptActionException) as info:
        mc.run_script("client", entrypoint="/bin/true")
    assert info.value.item == f"{name}.client" and "remove_existing_before" in str(info.value)
    result = mc.run_script("client", entrypoint="/bin/echo", command_format=["again"],
                           remove_existing_before=True, remove_existing_after=True)
    assert result["__default__"]["log"] == "again\n"
    assert container_names(docker_api, name) == {f"{name}.server"}


def test_run_script_time_out_leaves_container(docker_api, engine_images, cleanup: Cleanup):
    name = cleanup.name("scripttimeout")
    mc = mapping_client(script_map(name), docker_api)
    result = mc.run_script("server", entrypoint="/bin/sleep", command_format=["30"],
                           wait_timeout=1)
    out = result["__default__"]
    assert set(out) == {"id", "error"} and "1" in out["error"]
    assert docker_api.inspect_container(out["id"])["State"]["Running"]
