"""Docker-Fabric era projects through the ``dockerfab`` program on a bed host (issue 12):
``!env`` reads values from the Fabric configuration (fabric.yaml), and a map whose other
configurations are incomplete can still be shut down."""
from __future__ import annotations

import random

import yaml

from tests.integration.fabric_helpers import (
    fabric_overrides,
    run_program,
    unique,
)
from tests.integration.test_engine_support import Cleanup

IMAGE = "dockerfab-test/base:latest"



def _project(directory, map_text, **settings):
    (directory / "fabfile.py").write_text("from dockerfab.tasks import ns  # noqa: F401\n")
    (directory / "fabric.yaml").write_text(yaml.safe_dump(
        {**fabric_overrides(), **settings, "docker": {"maps": ["site.yaml"]}}))
    (directory / "site.yaml").write_text(map_text)


def test_env_in_a_map_reads_the_fabric_configuration(bed_api, ssh_config, tmp_path,
                                                      monkeypatch):
    name = unique("t_cenv")
    for var in ("deploy_user", "app_mode"):
        monkeypatch.delenv(var, raising=False)
    _project(tmp_path, f"name: {name}\n"
                       f"app:\n  image: {IMAGE}\n  stop_timeout: 1\n"
                       f"  user: !env deploy_user\n"
                       f"  create_options:\n    environment:\n"
                       f"      MODE: !env app_mode\n      TIER: !env [site.tier, none]\n",
             deploy_user="nobody", site={"tier": "front"})
    api = bed_api("bed1")
    cleanup = Cleanup(api)
    cleanup.maps.append(name)
    try:
        # app_mode is in neither place: one clear error, exit 2, nothing deployed
        failed = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1", "startup", "app")
        assert failed.returncode == 2
        assert "site.yaml:8: app.create_options.environment.MODE: environment variable " \
               "app_mode is not set and not in the Fabric configuration" in failed.stderr
        assert api.containers(all=True, filters={"name": name}) == []
        # the OS environment supplies one value, fabric.yaml the others
        proc = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1", "startup", "app",
                           env={"app_mode": "live"})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        info = api.inspect_container(f"{name}.app")
        assert info["Config"]["User"] == "nobody"
        assert {"MODE=live", "TIER=front"} <= set(info["Config"]["Env"])
    finally:
        cleanup.run()


COMPLETE = """\
name: {name}
volumes: {{data: /var/lib/data}}
db: {{image: {image}, stop_timeout: 1, attaches: data}}
web: {{image: {image}, stop_timeout: 1, links: db, exposes: [[80, {port}]]}}
"""
# later edits: an interface the client does not define, an attached volume without a path
INCOMPLETE = """\
name: {name}
volumes: {{data: /var/lib/data}}
db: {{image: {image}, stop_timeout: 1, attaches: data}}
web: {{image: {image}, stop_timeout: 1, links: db, exposes: [[80, {port}, private]]}}
cache: {{image: {image}, stop_timeout: 1, attaches: cache_data}}
"""


def test_incomplete_map_can_still_be_taken_down(bed_api, ssh_config, tmp_path):
    name = unique("t_cdown")
    # a random port below the ephemeral range: concurrent runs of this test do not collide
    fill = {"name": name, "image": IMAGE, "port": random.randrange(20000, 30000)}
    _project(tmp_path, COMPLETE.format(**fill))
    api = bed_api("bed1")
    cleanup = Cleanup(api)
    cleanup.maps.append(name)
    try:
        up = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1", "startup", "__all__")
        assert up.returncode == 0, up.stdout + up.stderr
        assert len(api.containers(filters={"name": name})) == 2
        (tmp_path / "site.yaml").write_text(INCOMPLETE.format(**fill))
        # creating still needs everything: refused with file, line and key path
        refused = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1", "startup",
                              "cache")
        assert refused.returncode == 2
        assert "site.yaml:5: cache.attaches[0]: attached volume 'cache_data' has no path" \
            in refused.stderr
        # taking down needs names only: the whole map goes, attached volume included
        down = run_program("dockerfab", tmp_path, ssh_config, "-H", "bed1", "shutdown",
                           "__all__", "--remove-attached")
        assert down.returncode == 0, down.stdout + down.stderr
        assert api.containers(all=True, filters={"name": name}) == []
        volumes = api.volumes().get("Volumes") or []
        assert [v["Name"] for v in volumes if v["Name"].startswith(name)] == []
    finally:
        cleanup.run()


FABFILE = """\
from invoke import Collection
from dockerfab.tasks import ns as dockerfab_tasks

ns = Collection()
ns.add_collection(dockerfab_tasks, name="docker")
ns.add_collection(dockerfab_tasks, name="actions")
"""


def test_docker_fabric_task_names_under_fabric_3(bed_api, ssh_config, tmp_path):
    """The fabfile of docs/migrating.rst: docker.* and actions.* as Docker-Fabric named them."""
    name = unique("t_cfab")
    _project(tmp_path, f"name: {name}\napp: {{image: {IMAGE}, stop_timeout: 1}}\n")
    (tmp_path / "fabfile.py").write_text(FABFILE)
    api = bed_api("bed1")
    cleanup = Cleanup(api)
    cleanup.maps.append(name)
    try:
        version = run_program("fab", tmp_path, ssh_config, "-H", "bed1", "docker.version")
        assert version.returncode == 0, version.stdout + version.stderr
        assert api.version()["ApiVersion"] in version.stdout
        up = run_program("fab", tmp_path, ssh_config, "-H", "bed1", "actions.startup",
                         f"{name}.app")
        assert up.returncode == 0, up.stdout + up.stderr
        assert api.inspect_container(f"{name}.app")["State"]["Running"] is True
        listed = run_program("fab", tmp_path, ssh_config, "-H", "bed1",
                             "docker.list-containers")
        assert f"{name}.app" in listed.stdout
        down = run_program("fab", tmp_path, ssh_config, "-H", "bed1", "actions.shutdown",
                           f"{name}.app")
        assert down.returncode == 0, down.stdout + down.stderr
        assert api.containers(all=True, filters={"name": name}) == []
    finally:
        cleanup.run()
