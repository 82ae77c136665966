"""Temporarily replacing attributes (module functions, methods) while a graph is traced."""
import contextlib


@contextlib.contextmanager
def swapped(swaps):
    """swaps: (owner, attribute name, replacement) triples; the originals come back on exit."""
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in swaps]
    for owner, name, replacement in swaps:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)
