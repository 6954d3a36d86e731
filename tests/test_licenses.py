"""Every runtime dependency (what `pip install drafter` brings, read from the installed
packages' metadata) is under a permissive license, so teams can embed drafter (Apache-2.0)."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
PERMISSIVE = re.compile(r"\b(MIT|BSD|Apache|ISC|PSF|Python Software Foundation|Unlicense|0BSD|"
                        r"Zlib|HPND|CC0)\b", re.I)
# Weak, file-level copyleft: embedding the unchanged files imposes nothing on drafter
# (certifi, through openai -> httpx).
FILE_LEVEL = re.compile(r"\b(MPL-2\.0|Mozilla Public License 2\.0)\b")
COPYLEFT = re.compile(r"\b(A?GPL|LGPL|General Public License|SSPL|EUPL|CDDL)\b", re.I)


def _license(dist: metadata.Distribution) -> str:
    """The license a package declares: its SPDX expression, else License, else classifiers."""
    meta = dist.metadata
    found = meta.get("License-Expression") or ""
    if not found:
        license_field = (meta.get("License") or "").strip()
        found = license_field if len(license_field) < 200 else license_field[:200]
    classifiers = [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if not found and not classifiers:  # only the license file itself (IMAPClient's COPYING)
        found = " ".join(_license_file_kind(dist, name) for name in meta.get_all("License-File") or [])
    return " | ".join(x for x in (found, *classifiers) if x)


def _license_file_kind(dist: metadata.Distribution, name: str) -> str:
    """The license a shipped license file holds, known by its standard wording."""
    text = dist.read_text(f"licenses/{name}") or dist.read_text(name) or ""
    for words, kind in (("Redistribution and use in source and binary forms", "BSD"),
                        ("Permission is hereby granted, free of charge", "MIT"),
                        ("Apache License", "Apache"), ("GNU GENERAL PUBLIC LICENSE", "GPL")):
        if words in text:
            return kind
    return ""


def _runtime_closure() -> dict[str, str]:
    """Each runtime dependency of drafter, found through installed metadata, with its license."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    todo = [Requirement(r) for r in project["dependencies"]]
    seen: dict[str, str] = {}
    while todo:
        req = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = req.name.lower().replace("_", "-")
        if name in seen:
            continue
        dist = metadata.distribution(req.name)
        seen[name] = _license(dist)
        todo.extend(Requirement(r) for r in dist.requires or [])
    return seen


def test_runtime_dependencies_are_permissively_licensed() -> None:
    licenses = _runtime_closure()
    assert "lxml" in licenses and "html2text" not in licenses
    copyleft = {n: text for n, text in licenses.items()
                if COPYLEFT.search(text) and not PERMISSIVE.search(text.split("|")[0])}
    unknown = {n: text for n, text in licenses.items()
               if not (PERMISSIVE.search(text) or FILE_LEVEL.search(text))}
    assert not copyleft, f"copyleft runtime dependencies: {copyleft}"
    assert not unknown, f"runtime dependencies with no permissive license: {unknown}"


def test_drafter_ships_its_license() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    assert "Apache License" in (REPO / "LICENSE").read_text(encoding="utf-8")[:200]
