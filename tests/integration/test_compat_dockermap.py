"""Docker-Map 1.0 code run against a bed host (issue 12): a ready Docker client given as
``ClientConfiguration(client=...)`` is the client used, ``(network, {endpoint options})``
pairs reach the daemon, and links inherited through ``extends`` keep every alias."""
from __future__ import annotations

from dockerfab.engine.client import MappingDockerClient
from dockerfab.map.config.client import ClientConfiguration
from dockerfab.map.container import ContainerMap
from tests.integration.test_engine_support import Cleanup, ensure_images

IMAGE = "dockerfab-test/base"


def test_docker_map_style_code_deploys_on_a_bed_host(bed, bed_api):
    api = bed_api("bed2")  # straight on bed2's daemon socket, no SSH
    ensure_images(api, (IMAGE + ":latest",))
    cleanup = Cleanup(api)
    name = cleanup.name("dmcompat")
    cmap = ContainerMap(name, {
        "networks": {"front": {}},
        "svc": {"image": IMAGE, "stop_timeout": 1},
        "base": {"abstract": True, "image": IMAGE, "stop_timeout": 1,
                 "links": [("svc", "svc_alias1")]},
        "app": {"extends": "base", "links": [("svc", "svc_alias2")]},
        "web": {"image": IMAGE, "stop_timeout": 1,
                "networks": [("front", {"aliases": ["web_front"]})]},
    })
    config = ClientConfiguration(client=api)
    mc = MappingDockerClient(cmap, config)
    try:
        assert mc.docker_client("__default__") is api
        mc.startup("__all__")
        info = api.inspect_container(f"{name}.app")
        assert sorted(info["HostConfig"]["Links"]) == [
            f"/{name}.svc:/{name}.app/svc_alias1", f"/{name}.svc:/{name}.app/svc_alias2"]
        web = api.inspect_container(f"{name}.web")
        assert list(web["NetworkSettings"]["Networks"]) == [f"{name}.front"]
        assert "web_front" in web["NetworkSettings"]["Networks"][f"{name}.front"]["Aliases"]
        assert mc.plan("update", "__all__") == []  # what was deployed is what the map says
        mc.shutdown("__all__")
        assert api.containers(all=True, filters={"name": name}) == []
    finally:
        cleanup.run()
