"""One module per configuration kind: container, volume, host volume, network, client."""
