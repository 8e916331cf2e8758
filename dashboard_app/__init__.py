"""NEO Discovery Statistics Explorer: a Dash dashboard of near-Earth-object discovery statistics."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("neo-explorer")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
