"""Twin of dockermap.map.exceptions: the same names, re-exported from where dockerfab defines
them (docs/migrating.rst), so code written for Docker-Map runs after renaming the package."""
from dockerfab.errors import (
    ActionRunnerException,
    MapIntegrityError,
    ScriptActionException,
)

__all__ = ["ActionRunnerException", "MapIntegrityError", "ScriptActionException"]
