"""Twin of dockermap.map.config.main: the same names, re-exported from where dockerfab defines
them (docs/migrating.rst), so code written for Docker-Map runs after renaming the package."""
from dockerfab.map.container import ContainerMap

__all__ = ["ContainerMap"]
