"""Twin of dockermap.utils: the same names, re-exported from where dockerfab defines them
(docs/migrating.rst), so code written for Docker-Map runs after renaming the package."""
from dockerfab.yaml import expand_path

__all__ = ["expand_path"]
