"""Twin of the spec's dockermapping.config.client: the same names, re-exported from where
dockerfab defines them (docs/migrating.rst), so code written for Docker-Map runs after
renaming the package."""
from dockerfab.map.config.client import ClientConfiguration

__all__ = ["ClientConfiguration"]
