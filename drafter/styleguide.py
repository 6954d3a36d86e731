"""Load the style guide (TOML, one file per principle) into one typed, validated object."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drafter import cache
from drafter.errors import ConfigError
from drafter.resources import shipped_dir

_REQUIRED = {"id": str, "title": str, "guidance": str}
_OPTIONAL = {"order": int, "good": list, "bad": list, "glossary": dict, "rules": dict}


@dataclass(frozen=True)
class Principle:
    """One principle of the guide: the model's guidance, examples, and its rules' settings."""

    id: str
    title: str
    guidance: str
    source: Path
    order: int = 1000
    good: tuple[str, ...] = ()
    bad: tuple[str, ...] = ()
    glossary: Mapping[str, str] = field(default_factory=dict)
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class LanguagePack:
    """The guide's words for one more language: its wording rules' settings for text in it."""

    code: str  # ISO 639-1, from the file name (`lang/de.toml`)
    source: Path
    name: str | None = None
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class StyleGuide:
    """The whole guide, principles in order, and its phrase lists for other languages."""

    principles: tuple[Principle, ...]
    languages: Mapping[str, LanguagePack] = field(default_factory=dict)

    def language_settings(self, code: str, lang: str) -> Mapping[str, Any] | None:
        """Return the settings of rule `code` for text in language `lang`, if the guide has any."""
        pack = self.languages.get(lang)
        return pack.rules.get(code) if pack is not None else None

    def principle(self, pid: str) -> Principle | None:
        """Return the principle with id `pid`, if any."""
        return next((p for p in self.principles if p.id == pid), None)

    @property
    def glossary(self) -> dict[str, str]:
        """Every principle's glossary, merged."""
        merged: dict[str, str] = {}
        for p in self.principles:
            merged.update(p.glossary)
        return merged

    def rule_settings(self, code: str) -> tuple[Mapping[str, Any], Principle] | None:
        """Return the settings for rule `code` and the principle that holds them."""
        for p in self.principles:
            if code in p.rules:
                return p.rules[code], p
        return None


def _check(path: Path, data: Mapping[str, Any]) -> Principle:
    for key, kind in _REQUIRED.items():
        if key not in data:
            raise ConfigError(f"{path}: missing key `{key}`", hint=f"add `{key} = \"...\"` to the file")
        if not isinstance(data[key], kind):
            raise ConfigError(f"{path}: `{key}` must be a string")
    for key, value in data.items():
        if key in _REQUIRED:
            continue
        if key not in _OPTIONAL:
            allowed = ", ".join([*_REQUIRED, *_OPTIONAL])
            raise ConfigError(f"{path}: unknown key `{key}`", hint=f"allowed keys: {allowed}")
        if not isinstance(value, _OPTIONAL[key]):
            raise ConfigError(f"{path}: `{key}` must be a {_OPTIONAL[key].__name__}")
    for key in ("good", "bad"):
        if not all(isinstance(x, str) for x in data.get(key, [])):
            raise ConfigError(f"{path}: every entry of `{key}` must be a string")
    for jargon, plain in data.get("glossary", {}).items():
        if not isinstance(plain, str):
            raise ConfigError(f"{path}: glossary entry `{jargon}` must map to a string")
    for code, settings in data.get("rules", {}).items():
        if not isinstance(settings, dict):
            raise ConfigError(f"{path}: `rules.{code}` must be a table")
    return Principle(
        id=data["id"], title=data["title"], guidance=data["guidance"].strip(), source=path,
        order=data.get("order", 1000), good=tuple(data.get("good", ())),
        bad=tuple(data.get("bad", ())), glossary=dict(data.get("glossary", {})),
        rules={code: dict(s) for code, s in data.get("rules", {}).items()},
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        return cache.toml(str(path), raw)  # parsed anew whenever the bytes change
    except cache.TOMLError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", hint="fix the syntax at that line") from None


def load_file(path: Path) -> Principle:
    """Read and validate one principle file."""
    return _check(path, _read(path))


def load_language(path: Path) -> LanguagePack:
    """Read and validate one language file (`lang/<code>.toml`: `name` and `[rules.CODE]`)."""
    data = _read(path)
    for key in data:
        if key not in ("name", "rules"):
            raise ConfigError(f"{path}: unknown key `{key}`", hint="allowed keys: name, rules")
    if not isinstance(data.get("name", ""), str):
        raise ConfigError(f"{path}: `name` must be a string")
    rules = data.get("rules", {})
    if not isinstance(rules, dict) or not all(isinstance(v, dict) for v in rules.values()):
        raise ConfigError(f"{path}: `rules` must hold one table per rule code",
                          hint="write `[rules.EMP002]` and the rule's settings under it")
    return LanguagePack(code=path.stem, source=path, name=data.get("name"),
                        rules={code: dict(v) for code, v in rules.items()})


# The guides loaded in this process, by the paths and contents of their files: a guide is
# parsed once however often it is asked for, and any change to a file is seen at once.
_LOADED: dict[tuple[tuple[str, bytes], ...], StyleGuide] = {}


def _signature(files: Iterable[Path]) -> tuple[tuple[str, bytes], ...] | None:
    try:
        return tuple((str(p), p.read_bytes()) for p in files)
    except OSError:
        return None  # unreadable: load_file names the problem


def load_styleguide(folders: Iterable[Path | None] = ()) -> StyleGuide:
    """Load the shipped guide, overridden file by file by each folder in `folders` (last wins)."""
    files: dict[str, Path] = {}
    langs: dict[str, Path] = {}
    for folder in (shipped_dir("styleguide"), *[f for f in folders if f is not None]):
        if not folder.is_dir():
            raise ConfigError(f"style guide folder {folder} does not exist",
                              hint="fix `team.styleguide` in your config or create the folder")
        for path in sorted(folder.glob("*.toml")):
            files[path.name] = path
        for path in sorted(folder.glob("lang/*.toml")):
            langs[path.name] = path
    key = _signature([*files.values(), *langs.values()])
    cached = _LOADED.get(key) if key is not None else None
    if cached is not None:
        return cached
    guide = _load(files, langs)
    if key is not None:
        if len(_LOADED) >= 16:
            _LOADED.clear()
        _LOADED[key] = guide
    return guide


def _load(files: dict[str, Path], langs: dict[str, Path]) -> StyleGuide:
    principles = [load_file(p) for p in files.values()]
    seen: dict[str, Path] = {}
    for p in principles:
        if p.id in seen:
            raise ConfigError(f"{p.source}: principle id `{p.id}` is also used by {seen[p.id]}",
                              hint="give each principle file its own id")
        seen[p.id] = p.source
    principles.sort(key=lambda p: (p.order, p.id))
    packs = [load_language(p) for p in langs.values()]
    return StyleGuide(tuple(principles), {pack.code: pack for pack in packs})
