# An application's whole fabfile: dockerfab's tasks, configured in fabric.yaml.
from dockerfab.tasks import ns  # noqa: F401
