"""drafter: draft customer-support replies under a style guide, and review them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["App", "__version__"]

if TYPE_CHECKING:
    from drafter.app import App


def __getattr__(name: str) -> Any:
    # `App` loads on first use, so `draft --help` does not import the API's dependencies.
    if name == "App":
        from drafter.app import App

        return App
    raise AttributeError(f"module 'drafter' has no attribute {name!r}")
