"""Twin of dockermap.map.runner.base: the same names, re-exported from where dockerfab defines
them (docs/migrating.rst), so code written for Docker-Map runs after renaming the package."""
from dockerfab.engine.client import DockerClientRunner
from dockerfab.engine.execute import AbstractRunner

__all__ = ["AbstractRunner", "DockerClientRunner"]
