"""Shared by the one-question backend modules (openmp, mkl, kleidiai, ...)."""


def not_available():
    """ember does not compute with this library."""
    return False
