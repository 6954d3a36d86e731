"""The import directions docs/architecture.md states, checked on every module's imports
(top-level and inside functions), parsed with `ast`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "drafter"

# The ticket model is the plain data every layer passes around: anyone may import it.
SHARED_DATA = ("drafter.tickets.model",)

# A module under the key may not import any module under the listed prefixes.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    # The core knows nothing of how it is driven or shown.
    "drafter.review": ("drafter.cli", "drafter.app", "drafter.llm", "drafter.pipeline",
                       "drafter.batch", "drafter.store", "drafter.outbound", "drafter.lint",
                       "drafter.prompting", "drafter.tickets",
                       "drafter.knowledge"),
    "drafter.lint": ("drafter.cli", "drafter.app", "drafter.llm", "drafter.pipeline",
                     "drafter.batch", "drafter.store", "drafter.outbound", "drafter.prompting",
                     "drafter.tickets",
                     "drafter.knowledge"),
    # Sources only read: they never open the store or write anywhere.
    "drafter.tickets": ("drafter.cli", "drafter.app", "drafter.llm", "drafter.pipeline",
                        "drafter.batch", "drafter.store", "drafter.outbound", "drafter.review",
                        "drafter.lint", "drafter.prompting", "drafter.styleguide",
                        "drafter.knowledge"),
    "drafter.store": ("drafter.cli", "drafter.app", "drafter.llm", "drafter.pipeline",
                      "drafter.batch", "drafter.outbound", "drafter.review", "drafter.lint",
                      "drafter.prompting", "drafter.styleguide",
                      "drafter.knowledge"),
    "drafter.llm": ("drafter.cli", "drafter.app", "drafter.tickets", "drafter.store",
                    "drafter.review", "drafter.lint", "drafter.batch", "drafter.pipeline",
                    "drafter.outbound", "drafter.styleguide", "drafter.prompting",
                    "drafter.knowledge"),
    # Helpdesk connectors read tickets and add notes: never the store, the model or the review.
    "drafter.helpdesk": ("drafter.cli", "drafter.app", "drafter.llm", "drafter.review",
                         "drafter.lint", "drafter.batch", "drafter.pipeline", "drafter.store",
                         "drafter.outbound", "drafter.prompting", "drafter.styleguide",
                         "drafter.knowledge"),
    "drafter.outbound": ("drafter.cli", "drafter.app", "drafter.llm", "drafter.review",
                         "drafter.lint", "drafter.batch", "drafter.pipeline", "drafter.store",
                         "drafter.prompting", "drafter.styleguide",
                         "drafter.knowledge"),
    "drafter.pipeline": ("drafter.cli", "drafter.app", "drafter.store", "drafter.outbound",
                         "drafter.batch", "drafter.lint"),
    "drafter.batch": ("drafter.cli", "drafter.app"),
    # Knowledge reads files (through lint's readers) and keeps its index in the store; it never
    # drafts, prompts or writes outward.
    "drafter.knowledge": ("drafter.cli", "drafter.app", "drafter.llm", "drafter.pipeline",
                          "drafter.batch", "drafter.outbound", "drafter.prompting",
                          "drafter.helpdesk"),
    "drafter.app": ("drafter.cli",),
    "drafter.config": ("drafter.cli", "drafter.app"),
    "drafter.greetings": ("drafter.cli", "drafter.app", "drafter.pipeline", "drafter.batch",
                          "drafter.llm", "drafter.review", "drafter.store", "drafter.tickets"),
    "drafter.styleguide": ("drafter.cli", "drafter.app", "drafter.review", "drafter.lint"),
}


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, resolved to absolute dotted names."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
    return found


def modules() -> list[tuple[str, Path]]:
    """Every module of the package, by dotted name."""
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        out.append((name.removesuffix(".__init__"), path))
    return out


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize(("name", "path"), modules(), ids=[n for n, _ in modules()])
def test_imports_follow_the_architecture(name: str, path: Path) -> None:
    rules = [bad for owner, bad in FORBIDDEN.items() if _under(name, owner)]
    wrong = sorted(
        imported for imported in imports_of(path)
        for bad in rules for prefix in bad
        if _under(imported, prefix) and not any(_under(imported, d) for d in SHARED_DATA))
    assert not wrong, f"{name} imports {', '.join(wrong)} (see docs/architecture.md)"


def test_nothing_outside_the_cli_imports_it() -> None:
    offenders = [name for name, path in modules()
                 if not _under(name, "drafter.cli") and name != "drafter.__main__"
                 and any(_under(i, "drafter.cli") for i in imports_of(path))]
    assert not offenders


def test_only_the_app_cli_and_batch_write_outward() -> None:
    allowed = ("drafter.app", "drafter.cli", "drafter.batch", "drafter.outbound")
    offenders = [name for name, path in modules()
                 if not any(_under(name, a) for a in allowed)
                 and any(_under(i, "drafter.outbound") for i in imports_of(path))]
    assert not offenders


def test_no_private_api_of_python_or_of_a_library() -> None:
    """No `_sre`, `re._parser`, `os._exit`, `atexit._run_exitfuncs`, no `_name` of another package."""
    offenders = []
    for name, path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                offenders += [f"{name}: import {a.name}" for a in node.names
                              if any(part.startswith("_") and not part.startswith("__")
                                     for part in a.name.split("."))]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module \
                    and not node.module.startswith("drafter"):
                parts = node.module.split(".")
                offenders += [f"{name}: from {node.module} import {a.name}" for a in node.names
                              if any(p.startswith("_") and not p.startswith("__")
                                     for p in [*parts, a.name])]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in {"os", "re", "sys", "atexit", "sqlite3", "click",
                                          "httpx", "openai", "yaml", "jinja2", "imaplib"} \
                    and node.attr.startswith("_") and not node.attr.startswith("__"):
                offenders.append(f"{name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not offenders, "private APIs in use:\n" + "\n".join(offenders)
