"""Twin of dockermap.map.policy.base: the same names, re-exported from where dockerfab defines
them (docs/migrating.rst), so code written for Docker-Map runs after renaming the package."""
from dockerfab.engine.policy import BasePolicy

__all__ = ["BasePolicy"]
