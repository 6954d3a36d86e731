"""Locate the shipped `prompts/` and `styleguide/` folders (checkout or installed wheel)."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """Return the shipped folder `name` ("prompts" or "styleguide")."""
    packaged = _PKG / "_data" / name
    if packaged.is_dir():
        return packaged
    # An editable install or a plain checkout: the folders sit beside the package.
    return _PKG.parent / name


def examples_dir() -> Path:
    """Return the folder with sample tickets and canned responses (checkout only)."""
    return _PKG.parent / "examples"
