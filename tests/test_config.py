"""Settings: precedence, discovery, validation, and `draft config`."""

from __future__ import annotations

from pathlib import Path

import pytest

from drafter.config import load_settings
from drafter.errors import ConfigError


def test_defaults_when_nothing_is_configured(tmp_path: Path) -> None:
    s = load_settings(cwd=tmp_path, env={})
    assert s["draft.max_revisions"] == 2
    assert s.origins["draft.max_revisions"] == "default"
    assert s.config_file is None


def test_precedence_file_then_env_then_flags(tmp_path: Path) -> None:
    (tmp_path / "drafter.toml").write_text('[llm]\nmodel = "from-file"\ntimeout = 5\n'
                                           '[draft]\nmax_revisions = 1\n')
    s = load_settings(cwd=tmp_path, env={})
    assert (s["llm.model"], s["llm.timeout"], s["draft.max_revisions"]) == ("from-file", 5.0, 1)
    s = load_settings(cwd=tmp_path, env={"DRAFTER_MODEL": "from-env", "DRAFTER_LLM_TIMEOUT": "7"})
    assert (s["llm.model"], s["llm.timeout"]) == ("from-env", 7.0)
    assert s.origins["llm.model"] == "env DRAFTER_MODEL"
    s = load_settings(cwd=tmp_path, env={"DRAFTER_MODEL": "from-env"},
                      flags={"llm.model": "from-flag", "draft.max_revisions": None})
    assert s["llm.model"] == "from-flag" and s.origins["llm.model"] == "flag"
    assert s["draft.max_revisions"] == 1  # a flag left unset does not override


def test_specific_env_name_beats_generic(tmp_path: Path) -> None:
    s = load_settings(cwd=tmp_path, env={"OPENAI_BASE_URL": "http://a/v1",
                                         "DRAFTER_LLM_BASE_URL": "http://b/v1"})
    assert s["llm.base_url"] == "http://a/v1"


def test_found_by_walking_up_and_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.drafter.team]\n'
                                             'name = "Acme Care"\nprompts = "my-prompts"\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    s = load_settings(cwd=deep, env={})
    assert s["team.name"] == "Acme Care"
    assert s.config_file == tmp_path / "pyproject.toml"
    # Relative paths are relative to the config file, not the working directory.
    assert s["team.prompts"] == tmp_path / "my-prompts"


def test_pyproject_without_tool_drafter_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "drafter.toml").write_text('[team]\nname = "Outer"\n')
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_settings(cwd=inner, env={})["team.name"] == "Outer"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[llm]\nmodle = "x"\n', ["unknown key `modle` in [llm]", "did you mean `model`"]),
        ('[lm]\nmodel = "x"\n', ["unknown section [lm]", "did you mean [llm]"]),
        ('[llm]\ntimeout = "soon"\n', ["`llm.timeout` must be a number", "'soon'"]),
        ('[draft]\nrevise_on = "fatal"\n', ["`draft.revise_on` must be one of error, warning, info"]),
        ('[llm]\nmodel = \n', ["not valid TOML"]),
        ('model = "x"\n', ["unknown key `model` at top level"]),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, expected: list[str]) -> None:
    (tmp_path / "drafter.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_settings(cwd=tmp_path, env={})
    shown = str(info.value)
    assert str(tmp_path / "drafter.toml") in shown
    for part in expected:
        assert part in shown


def test_config_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "drafter.toml").write_bytes(b'[team]\nname = "Caf\xe9"\n')  # Latin-1
    with pytest.raises(ConfigError, match=r"not valid TOML.*utf-8"):
        load_settings(cwd=tmp_path, env={})


def test_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="env DRAFTER_LLM_MAX_ATTEMPTS"):
        load_settings(cwd=tmp_path, env={"DRAFTER_LLM_MAX_ATTEMPTS": "many"})


def test_draft_config_masks_secrets_and_shows_origins(draft, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "drafter.toml").write_text('[team]\nname = "Acme Care"\n')
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdefghijklmnop1234")
    result = draft(["config"])
    assert result.code == 0
    assert "sk-test-abcdefghijklmnop1234" not in result.stdout
    assert "****1234" in result.stdout
    assert "env OPENAI_API_KEY" in result.stdout
    assert "'Acme Care'  # " + str(tmp_path / "drafter.toml") in result.stdout
    as_json = draft(["config", "--format", "json"])
    assert "abcdefghijklmnop" not in as_json.stdout


def test_malformed_config_is_exit_2_without_traceback(draft, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "drafter.toml").write_text("[llm\nmodel = 1\n")
    result = draft(["reply", "--dry-run"], input="Where is my order?")
    assert result.code == 2
    assert "drafter.toml: not valid TOML" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_bundled_model_gets_its_own_defaults_unless_set(tmp_path: Path) -> None:
    from drafter import App
    from drafter.llm.endpoint import BUNDLED_DEFAULTS, BUNDLED_ORIGIN
    from drafter.llm.local import LOCAL_MODEL_NAME

    small = App(load_settings(cwd=tmp_path, env={}, flags={
        "llm.base_url": "http://127.0.0.1:9/v1", "llm.model": LOCAL_MODEL_NAME}))
    for key, value in BUNDLED_DEFAULTS.items():
        assert small.settings[key] == value and small.settings.origins[key] == BUNDLED_ORIGIN
    assert small.prompts.short

    (tmp_path / "drafter.toml").write_text('[draft]\nprompt = "full"\n[llm]\nmax_tokens = 300\n')
    chosen = App(load_settings(cwd=tmp_path, env={}, flags={
        "llm.base_url": "http://127.0.0.1:9/v1", "llm.model": LOCAL_MODEL_NAME}))
    assert (chosen.settings["draft.prompt"], chosen.settings["llm.max_tokens"]) == ("full", 300)
    assert chosen.settings["draft.structured"]  # not set: the small model's default

    big = App(load_settings(cwd=tmp_path / "none", env={}, flags={
        "llm.base_url": "http://127.0.0.1:9/v1", "llm.model": "qwen2.5-7b"}))
    assert (big.settings["draft.prompt"], big.settings["draft.structured"]) == ("full", False)
    assert not big.prompts.short
