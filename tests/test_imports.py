"""The import directions of drafter's packages, read from the source with `ast`."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "drafter"


def imports_of(path: Path) -> set[str]:
    """Every drafter module `path` imports, at the top or inside a function."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "drafter" or name.startswith("drafter.")}


def modules(under: str) -> list[Path]:
    return sorted((PACKAGE / under).rglob("*.py")) if under else sorted(PACKAGE.rglob("*.py"))


def reaches(names: set[str], package: str) -> set[str]:
    return {n for n in names if n == package or n.startswith(package + ".")}


def test_the_checker_sees_every_kind_of_import() -> None:
    sample = PACKAGE / "tickets" / "model.py"
    assert imports_of(sample) == set()  # the model imports nothing of drafter
    assert "drafter.tickets.email" in imports_of(PACKAGE / "tickets" / "imap.py")
    # Imports inside functions count too (the CLI imports lazily).
    assert "drafter.store" in imports_of(PACKAGE / "cli" / "tickets.py")


def test_sources_only_read() -> None:
    """`drafter.tickets` reads tickets: it never opens the store, writes outward or drafts."""
    for path in modules("tickets"):
        names = imports_of(path)
        for forbidden in ("drafter.store", "drafter.outbound", "drafter.llm", "drafter.cli"):
            assert not reaches(names, forbidden), f"{path.relative_to(PACKAGE)} imports {forbidden}"


def test_only_the_cli_the_app_and_batch_write_outward() -> None:
    allowed = ("cli", "batch", "outbound", "app.py")
    for path in modules(""):
        where = path.relative_to(PACKAGE).parts[0]
        if where in allowed:
            continue
        assert not reaches(imports_of(path), "drafter.outbound"), \
            f"{path.relative_to(PACKAGE)} imports drafter.outbound"


def test_the_store_does_not_reach_out() -> None:
    for path in modules("store"):
        names = imports_of(path)
        for forbidden in ("drafter.outbound", "drafter.llm", "drafter.cli"):
            assert not reaches(names, forbidden), f"{path.relative_to(PACKAGE)} imports {forbidden}"
