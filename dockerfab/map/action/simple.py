"""Twin of dockermap.map.action.simple: the same names, re-exported from where dockerfab
defines them (docs/migrating.rst), so code written for Docker-Map runs after renaming the
package."""
from dockerfab.plan.generators import (
    CreateActionGenerator,
    ImagePullActionGenerator,
    RemoveActionGenerator,
    RestartActionGenerator,
    ShutdownActionGenerator,
    SignalActionGenerator,
    StartActionGenerator,
    StartupActionGenerator,
    StopActionGenerator,
)

__all__ = [
    "CreateActionGenerator", "ImagePullActionGenerator", "RemoveActionGenerator",
    "RestartActionGenerator", "ShutdownActionGenerator", "SignalActionGenerator",
    "StartActionGenerator", "StartupActionGenerator", "StopActionGenerator"
]
