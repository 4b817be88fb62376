"""Twin of dockermap.exceptions: the same names, re-exported from where dockerfab defines them
(docs/migrating.rst), so code written for Docker-Map runs after renaming the package."""
from dockerfab.errors import PartialResultsError

__all__ = ["PartialResultsError"]
