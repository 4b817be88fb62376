"""Twin of dockermap.map.state.update: the same names, re-exported from where dockerfab defines
them (docs/migrating.rst), so code written for Docker-Map runs after renaming the package."""
from dockerfab.plan.generators import UpdateStateGenerator

__all__ = ["UpdateStateGenerator"]
