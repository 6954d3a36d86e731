"""drafter: draft customer-support replies under a style guide, and review them."""

__version__ = "0.1.0"
