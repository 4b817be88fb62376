"""Twin of dockermap.map.client: the same names, re-exported from where dockerfab defines them
(docs/migrating.rst), so code written for Docker-Map runs after renaming the package."""
from dockerfab.engine.client import MappingDockerClient

__all__ = ["MappingDockerClient"]
