"""Twin of dockermap.map.state.base: the same names, re-exported from where dockerfab defines
them (docs/migrating.rst), so code written for Docker-Map runs after renaming the package."""
from dockerfab.plan.generators import (
    AbstractStateGenerator,
    DependencyStateGenerator,
    DependentStateGenerator,
    SingleStateGenerator,
)

__all__ = [
    "AbstractStateGenerator", "DependencyStateGenerator", "DependentStateGenerator",
    "SingleStateGenerator"
]
