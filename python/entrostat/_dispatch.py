"""Which backend an input belongs to, told by its type's module: neither Dask nor CuPy is
imported to ask (importing entrostat imports neither)."""

from __future__ import annotations


def is_dask(x) -> bool:
    """Whether ``x`` is a Dask array (``dask.array.Array`` or a subclass)."""
    return any(c.__module__.startswith("dask.array") for c in type(x).__mro__)


def any_dask(*xs) -> bool:
    return any(is_dask(x) for x in xs)
