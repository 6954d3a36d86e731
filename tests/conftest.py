"""Shared fixtures. Helpers' own fixtures live in tests/*_fixtures.py modules."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep every test away from the user's config, store, keys and endpoints."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DRAFTER_CONFIG", "DRAFTER_MODEL",
                 "DRAFTER_STORE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
