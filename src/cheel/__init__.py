"""cheel: organizations, company groups and companies, with backup and restore."""

__version__ = "0.1.0"
