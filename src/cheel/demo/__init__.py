"""Demo data: ``create_demo`` builds a complete organization of plausible Swiss SME data."""

from .generate import MIN_ENTRIES, DemoOptions, create_demo

__all__ = ["DemoOptions", "create_demo", "MIN_ENTRIES"]
