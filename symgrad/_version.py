"""The version of symgrad (read by the package and by the output cache)."""

__version__ = "0.1.0"
