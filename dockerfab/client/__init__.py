"""DockerClientWrapper: the Docker SDK low-level client plus the utilities of spec 3.6."""
