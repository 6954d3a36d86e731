"""The style guide: the shipped principles, team overrides, and errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from drafter.errors import ConfigError
from drafter.styleguide import load_styleguide

PRINCIPLES = {"empathy", "answer_directly", "plain_words", "choices", "ownership", "personalize",
              "tone", "next_step"}


def test_shipped_guide_has_every_principle_with_guidance_and_examples() -> None:
    guide = load_styleguide()
    ids = {p.id for p in guide.principles}
    assert ids >= PRINCIPLES
    for p in guide.principles:
        assert len(p.guidance) > 40, p.id
        assert p.good and p.bad, f"{p.id} needs a good and a bad example"
    assert guide.glossary["utilize"] == "use"


def test_team_folder_overrides_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "tone.toml").write_text(
        'id = "tone"\ntitle = "Be cheerful"\nguidance = "Always sound cheerful and upbeat, '
        'whatever happens to the order."\ngood = ["Great news!"]\nbad = ["Meh."]\n')
    (tmp_path / "legal.toml").write_text(
        'id = "legal"\ntitle = "Mind the lawyers"\norder = 5\n'
        'guidance = "Never admit liability for damage in writing; describe what happened."\n')
    guide = load_styleguide([tmp_path])
    tone = guide.principle("tone")
    assert tone is not None and tone.title == "Be cheerful" and tone.source.parent == tmp_path
    assert guide.principles[0].id == "legal"  # ordered by `order`
    assert guide.principle("empathy") is not None  # the rest still shipped


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('title = "x"\nguidance = "y"\n', "missing key `id`"),
        ('id = "x"\ntitle = "x"\nguidance = "y"\nexampels = []\n', "unknown key `exampels`"),
        ('id = "x"\ntitle = "x"\nguidance = "y"\ngood = [1]\n', "every entry of `good`"),
        ('id = "x"\ntitle = "x"\nguidance = "y"\n[glossary]\nfoo = 3\n', "glossary entry `foo`"),
        ('id = "x"\ntitle = \n', "not valid TOML"),
    ],
)
def test_bad_principle_file_is_named(tmp_path: Path, text: str, expected: str) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_styleguide([tmp_path])
    assert str(bad) in str(info.value) and expected in str(info.value)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    (tmp_path / "kindness.toml").write_text('id = "empathy"\ntitle = "x"\nguidance = "y"\n')
    with pytest.raises(ConfigError, match="principle id `empathy` is also used by"):
        load_styleguide([tmp_path])


def test_missing_team_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_styleguide([tmp_path / "nope"])
