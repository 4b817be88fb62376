"""dockerfab: deploy maps of Docker containers to remote hosts over SSH.

Public names are importable from here (``from dockerfab import ContainerMap``). They are
loaded on first use, so ``import dockerfab`` (and ``fab`` start-up) stays fast and a
module's heavy imports (docker, paramiko) are paid only when needed.
"""
from __future__ import annotations

from dockerfab.lazyexports import lazy_exports

__version__ = "0.1.0.dev0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # errors
    **{name: "dockerfab.errors" for name in (
        "DockerFabError", "MapError", "MapIntegrityError", "CircularDependency", "BuildError",
        "RemoteError", "ForeignObjectError", "VolumeChangeError", "ActionRunnerException",
        "ScriptActionException", "PartialResultsError", "HealthGateFailed", "Interrupted",
        "ConnectionFailed",
        "HostKeyError")},
    # input tuples and flags
    **{name: "dockerfab.map.input" for name in (
        "SharedVolume", "HostVolume", "UsedVolume", "ContainerLink", "PortBinding",
        "NetworkEndpoint", "ExecCommand", "HealthCheck", "ExecPolicy", "CmdCheck",
        "ItemType", "MapConfigId", "InputConfigId")},
    # the map model
    "ContainerMap": "dockerfab.map.container",
    "ContainerConfiguration": "dockerfab.map.config.container",
    "VolumeConfiguration": "dockerfab.map.config.volume",
    "HostVolumeConfiguration": "dockerfab.map.config.host_volume",
    "NetworkConfiguration": "dockerfab.map.config.network",
    "ClientConfiguration": "dockerfab.map.config.client",
    # lazy values
    "lazy": "dockerfab.functional",
    "lazy_once": "dockerfab.functional",
    # images
    "DockerFile": "dockerfab.build.dockerfile",
    "DockerContext": "dockerfab.build.context",
    # clients
    "DockerClientWrapper": "dockerfab.client.wrapper",
    "MappingDockerClient": "dockerfab.engine.client",
    "BasePolicy": "dockerfab.engine.policy",
    "ActionEvent": "dockerfab.engine.events",
    # the health gate (waiting for started containers)
    **{name: "dockerfab.engine.health" for name in (
        "GateOptions", "HealthGate", "wait_ready", "watch_running")},
    "DockerFabricClient": "dockerfab.fabric.client",
    "FabricClientConfiguration": "dockerfab.fabric.clientconfig",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605  (the names are the keys of _EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
