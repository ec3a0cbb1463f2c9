"""The package version (its own module, so the layers below `evol` can read it without importing the API)."""

__version__ = "0.1.0"
