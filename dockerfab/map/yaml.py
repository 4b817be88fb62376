"""Twin of dockermap.map.yaml: the same names, re-exported from where dockerfab defines them
(docs/migrating.rst), so code written for Docker-Map runs after renaming the package."""
from dockerfab.yaml import (
    expand_path,
    load_clients,
    load_clients_file,
    load_map,
    load_map_file,
)

__all__ = ["expand_path", "load_clients", "load_clients_file", "load_map", "load_map_file"]
