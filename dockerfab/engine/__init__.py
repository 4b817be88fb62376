"""Doing (I/O): observe hosts, execute plans with bounded concurrency, MappingDockerClient."""
