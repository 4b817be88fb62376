"""The essential classes in one place (spec 3.1.2): ``from dockerfab.api import ContainerMap``."""
from dockerfab import *  # names are resolved lazily by the package
from dockerfab import __all__  # noqa: F401
