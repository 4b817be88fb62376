"""Reaching a Docker daemon through SSH: channel openers and the HTTP adapter the Docker SDK uses."""
