"""Secrets stay secret (issue 10): env values in the log tail of a start error are masked;
registry passwords are not in the repr of configurations, and one client's logins are
sent to its own daemon only; ``show`` hides every value read with ``!env``, and ``-v`` is
not a way to reveal them."""
from __future__ import annotations

import os
import uuid

import pytest
import yaml

from dockerfab import (
    ClientConfiguration,
    ContainerMap,
    DockerClientWrapper,
    MappingDockerClient,
)
from dockerfab.errors import ActionRunnerException
from tests.integration.fabric_helpers import (
    remove_map_objects,
    run_program,
    unique,
    write_project,
)

SECRET = "s3cr3t-" + uuid.uuid4().hex[:12]



def test_env_values_are_masked_in_the_log_tail_of_a_start_error(bed, bed_api, ssh_config,
                                                                 tmp_path):
    name = unique("dfsec")
    crash = {"name": name, "app": {
        "image": "dockerfab-test/base", "stop_timeout": 1,
        "create_options": {
            "environment": {"API_TOKEN": "!env"},
            "command": ["sh", "-c", 'echo "starting with token $API_TOKEN"; exit 3']}}}
    text = yaml.safe_dump(crash).replace("'!env'", "!env DF_TEST_TOKEN")
    (tmp_path / "map.yaml").write_text(text)
    write_project(tmp_path, {"maps": ["map.yaml"]})
    api = bed_api("bed1")
    env = {"DF_TEST_TOKEN": SECRET}
    try:
        failed = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1", "startup", "app",
                             env=env)
        assert failed.returncode == 1
        (error,) = [line for line in failed.stdout.splitlines() if " ERROR " in line]
        assert "exited with code 3" in error  # the health gate's error
        assert "last log lines: starting with token ***" in error, error
        assert SECRET not in failed.stdout + failed.stderr
        # fixed map: the next run starts it
        (tmp_path / "map.yaml").write_text(text.replace("exit 3", "exec sleep 3600"))
        again = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1", "startup", "app",
                            env=env)
        assert again.returncode == 0, again.stdout
        assert api.inspect_container(f"{name}.app")["State"]["Running"] is True
    finally:
        remove_map_objects(name, api)


def test_show_hides_every_value_read_with_env_and_has_no_short_flag(ssh_config, tmp_path):
    (tmp_path / "map.yaml").write_text(
        "name: shown\n"
        "app:\n"
        "  image: busybox\n"
        "  create_options:\n"
        "    labels: {deploy.token: !env DF_TEST_TOKEN}\n"
        "    hostname: !env_lazy DF_TEST_HOST\n"
        "    environment: {PLAIN: visible-name-only}\n")
    write_project(tmp_path, {"maps": ["map.yaml"]})
    env = {"DF_TEST_TOKEN": SECRET, "DF_TEST_HOST": SECRET + "-host"}
    shown = run_program("dockerfab", tmp_path, ssh_config, "show", env=env)
    assert shown.returncode == 0, shown.stderr
    assert SECRET not in shown.stdout
    data = yaml.safe_load(shown.stdout)
    app = (data["app"] if "app" in data else data["containers"]["app"])["create_options"]
    assert app["labels"] == {"deploy.token": "<hidden>"}
    assert app["hostname"] == "<hidden>"
    assert app["environment"] == {"PLAIN": "<hidden>"}
    short = run_program("dockerfab", tmp_path, ssh_config, "show", "-v", env=env)
    assert short.returncode != 0
    assert SECRET not in short.stdout + short.stderr
    revealed = run_program("dockerfab", tmp_path, ssh_config, "show", "--values", env=env)
    assert revealed.returncode == 0 and SECRET in revealed.stdout


def test_no_registry_password_in_the_repr_of_a_configuration(registry):
    config = ClientConfiguration(base_url="tcp://198.18.0.11:2375", auth_configs={
        registry.auth_address: {"username": registry.username, "password": registry.password}})
    for text in (repr(config), str(config), repr(config.copy())):
        assert registry.password not in text
        assert registry.username in text and registry.auth_address in text


def test_each_clients_logins_go_to_its_own_daemon_only(bed, bed_api, registry,
                                                       registry_images):
    repo = registry_images.repository(auth=True)
    registry_images.build(bed_api("bed2"), f"{repo}:latest", payload=1 << 14)
    pusher = DockerClientWrapper(bed.host("bed2").docker_url)
    assert pusher.login(registry.username, registry.password, registry=registry.auth_address)
    assert pusher.push(repo, tag="latest")
    pusher.close()
    for host in ("bed1", "bed3"):  # neither has it yet
        assert not bed_api(host).images(name=repo)
    login = {"username": registry.username, "password": registry.password}
    clients = {"with_login": ClientConfiguration(base_url=bed.host("bed1").docker_url,
                                                 auth_configs={registry.auth_address: login}),
               "without": ClientConfiguration(base_url=bed.host("bed3").docker_url)}
    container_map = ContainerMap(f"t_reg_{uuid.uuid4().hex[:8]}",
                                 {"clients": ["with_login", "without"], "app": {"image": repo}})
    client = MappingDockerClient(container_map, clients=clients)
    try:
        with pytest.raises(ActionRunnerException) as info:
            client.pull_images("app")
    finally:
        client.close()
        for cfg in clients.values():
            cfg.get_client().close()
    # bed3's daemon never got bed1's login: the registry refused it
    assert info.value.host == "without"
    assert "no basic auth credentials" in str(info.value)
    assert bed_api("bed1").images(name=repo)
    assert not bed_api("bed3").images(name=repo)
    assert os.environ.get("DF_TEST_TOKEN") is None
