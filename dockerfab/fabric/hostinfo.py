"""The host utilities' tables, shaped from Docker API responses: headers and rows."""
from __future__ import annotations

from typing import Any

from dockerfab.map.naming import primary_name

Table = tuple[tuple[str, ...], list[list[Any]]]

INFO_KEYS = ("Name", "ServerVersion", "Containers", "ContainersRunning", "Images", "Driver",
             "NCPU", "MemTotal", "DockerRootDir", "OperatingSystem")


def version_table(client: Any) -> Table:
    v = client.version()
    return (("version", "api", "os", "arch", "kernel"),
            [[v.get("Version"), v.get("ApiVersion"), v.get("Os"), v.get("Arch"),
              v.get("KernelVersion")]])


def info_table(client: Any) -> Table:
    i = client.info()
    return ("setting", "value"), [[k, i.get(k)] for k in INFO_KEYS]


def containers_table(client: Any, all: bool = True) -> Table:
    rows = [[primary_name(ct.get("Names")) or "", ct.get("Image"), ct.get("Status"),
             ct["Id"][:12]] for ct in client.containers(all=all)]
    return ("name", "image", "status", "id"), sorted(rows)


def images_table(client: Any) -> Table:
    rows = []
    for image in client.images():
        tags = [t for t in image.get("RepoTags") or () if t != "<none>:<none>"]
        rows.append([", ".join(tags) or "<none>", image["Id"].split(":")[-1][:12],
                     f"{image.get('Size', 0) / 2**20:.1f} MiB"])
    return ("tags", "id", "size"), sorted(rows)


def networks_table(client: Any) -> Table:
    return (("name", "driver", "id"),
            sorted([n["Name"], n.get("Driver"), n["Id"][:12]] for n in client.networks()))


def volumes_table(client: Any) -> Table:
    volumes = client.volumes().get("Volumes") or []
    return ("name", "driver"), sorted([v["Name"], v.get("Driver")] for v in volumes)
