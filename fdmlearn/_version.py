"""The version, in a file of its own so the build can read it without importing fdmlearn."""

__version__ = "0.2.0"
