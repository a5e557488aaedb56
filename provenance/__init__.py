"""provenance: trace where a news story came from."""

__version__ = "0.1.0"
