"""HandsetGuard: security suite for Android handsets."""

__all__ = ["__version__"]

__version__ = "0.1.0"
