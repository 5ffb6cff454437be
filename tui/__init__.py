"""incident-console: the on-call console for a K3s cluster run by Flux."""

__version__ = "0.1.0"
