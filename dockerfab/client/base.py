"""Twin of dockermap.client.base: the same names, re-exported from where dockerfab defines them
(docs/migrating.rst), so code written for Docker-Map runs after renaming the package."""
from dockerfab.client.wrapper import DockerClientWrapper

__all__ = ["DockerClientWrapper"]
