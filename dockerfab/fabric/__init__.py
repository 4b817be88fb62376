"""The Fabric layer: per-host connections, DockerFabricClient.run_cmd, parallel execution."""
