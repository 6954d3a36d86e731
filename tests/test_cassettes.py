"""The recorded model cassettes carry no secrets and were recorded from the local server."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CASSETTES = sorted((Path(__file__).parent / "cassettes").rglob("*.yaml"))


def test_there_are_cassettes() -> None:
    assert CASSETTES, "no cassettes recorded; run `make cassettes`"


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_cassette_is_scrubbed(path: Path) -> None:
    text = path.read_text()
    assert "sk-cassette-secret" not in text  # the key the fixture sets while recording
    data = yaml.safe_load(text)
    for interaction in data["interactions"]:
        headers = {k.lower() for k in interaction["request"]["headers"]}
        assert not headers & {"authorization", "api-key", "x-api-key", "cookie"}
        assert interaction["request"]["uri"].startswith("http://127.0.0.1:18471/v1/")
