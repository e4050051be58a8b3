"""The version of mmzoo, in a module of its own so that low layers (the index) can read it."""

__version__ = "0.1.0"
