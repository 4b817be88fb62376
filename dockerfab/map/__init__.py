"""The container-map model: input tuples, configurations, ContainerMap, dependency graph (pure, no I/O)."""
