"""Plain-data helpers for the planner's unit tests: maps, and snapshots that look like what
the daemon would report for containers created from a desired state (no daemon involved)."""
from __future__ import annotations

import json
from typing import Any

from dockerfab.map.container import ContainerMap
from dockerfab.plan import apiform, convert
from dockerfab.plan.desired import DesiredContainer
from dockerfab.plan.snapshot import (
    ContainerState,
    HostSnapshot,
    NetworkState,
    VolumeState,
)

IMAGE_IDS = {"registry.example.com/nginx:latest": "sha256:" + "a1" * 32,
             "registry.example.com/app:latest": "sha256:" + "b2" * 32,
             "base:latest": "sha256:" + "c3" * 32}


def example_map(name: str = "example_map") -> ContainerMap:
    """Spec 3.7.2."""
    return ContainerMap(name, {
        "repository": "registry.example.com",
        "host_root": "/var/lib/site",
        "web_server": {"image": "nginx", "binds": {"/etc/nginx": ("config/nginx", "ro")},
                       "uses": "app_server_socket", "attaches": "web_log",
                       "exposes": {80: 80, 443: 443}},
        "app_server": {"image": "app", "instances": ("instance1", "instance2"),
                       "binds": ({"app_config": "ro"}, "app_data"),
                       "attaches": ("app_log", "app_server_socket"), "user": 2000,
                       "permissions": "u=rwX,g=rX,o="},
        "volumes": {"web_log": "/var/log/nginx", "app_server_socket": "/var/lib/app/socket",
                    "app_config": "/var/lib/app/config", "app_log": "/var/lib/app/log",
                    "app_data": "/var/lib/app/data"},
        "host": {"app_config": {"instance1": "config/app1", "instance2": "config/app2"},
                 "app_data": {"instance1": "data/app1", "instance2": "data/app2"}},
    })


def observed(d: DesiredContainer, status: str = "running", exit_code: int = 0,
             image_id: str | None = None, networks: dict[str, str] | None = None
             ) -> ContainerState:
    """What inspect reports for a container created exactly from ``d``: the API form the
    SDK sends, with the daemon's own forms for links and ports."""
    create, host = d.create_kwargs, d.host_config
    image_id = image_id or IMAGE_IDS.get(d.image, "sha256:" + "0" * 64)
    sent = {k: v for k, v in apiform.config_form(create).items() if v is not None}
    hc: dict[str, Any] = {
        **apiform.host_config_form(host),
        "Binds": list(host.get("binds") or []) or None,
        "VolumesFrom": list(host.get("volumes_from") or []) or None,
        "Links": [f"/{c}:/{d.name}/{a}" for c, a in host.get("links") or ()] or None,
        "NetworkMode": host.get("network_mode", "default"),
        "PortBindings": {k: [{"HostIp": ip, "HostPort": p} for ip, p in v] for k, v in
                         convert.normalize_port_bindings(host.get("port_bindings")).items()},
    }
    for key, api in convert.LIMITS.items():
        hc[api] = convert.limit_value(key, host.get(key)) or 0
    hc["RestartPolicy"] = host.get("restart_policy") or {"Name": "no", "MaximumRetryCount": 0}
    env = [f"{k}={v}" for k, v in convert.env_dict(create.get("environment")).items()]
    endpoints = {}
    for net, endpoint in d.networks.items():
        endpoints[net] = {"NetworkID": (networks or {}).get(net, "net-" + net),
                          "Aliases": list(endpoint.get("aliases") or []) + ["abc123"],
                          "Links": [f"{c}:{a}" for c, a in endpoint.get("links") or ()] or None,
                          "IPAMConfig": None}
    inspect = {
        "Id": "id-" + d.name, "Image": image_id,
        "State": {"Status": status, "ExitCode": exit_code,
                  "StartedAt": "2026-01-01T00:00:00Z"},
        "Config": {**sent, "Env": env + ["PATH=/bin"],
                   "Cmd": convert.command_list(create.get("command")) or ["image-default"],
                   "Entrypoint": convert.command_list(create.get("entrypoint")),
                   "ExposedPorts": {convert.port_key(p): {} for p in create.get("ports") or ()},
                   "Labels": create["labels"]},
        "HostConfig": hc,
        "Mounts": [],
        "NetworkSettings": {"Networks": endpoints},
    }
    # as the container list shows them: named volumes mounted, networks connected
    volumes = [b.split(":")[0] for b in hc.get("Binds") or () if not b.startswith("/")]
    return ContainerState(id="id-" + d.name, name=d.name, image_id=image_id, status=status,
                          labels=dict(create["labels"]), inspect=inspect, volumes=volumes,
                          networks=dict(endpoints))


def snapshot_of(desired: dict[str, DesiredContainer], volumes: Any = (),
                networks: Any = (), **overrides: ContainerState) -> HostSnapshot:
    snap = HostSnapshot("__default__", images=dict(IMAGE_IDS))
    for name, d in desired.items():
        snap.containers[name] = overrides.get(name) or observed(d)
    # created by dockerfab: labelled with their map (the part of the name before the dot)
    for v in volumes:
        snap.volumes[v] = VolumeState(v, labels={"dockerfab.map": v.split(".")[0]})
    for n in networks:
        snap.networks[n] = NetworkState("net-" + n, n,
                                        labels={"dockerfab.map": n.split(".")[0]})
    return snap


def labels_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
