"""The front-matter fast path parses exactly as PyYAML does, or declines."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from drafter.lint.structured import flat_values, parse_flat_yaml

ACCEPTED = [
    "title: Refund sent\nchannel: email\n",
    "upset: true\nreports_problem: false\n",
    "variables: [first_name, order_id, ticket.id]\ntags: []\n",
    "# a comment\n\ntitle: Don't panic, it's fine!\n",
    "title: Price is 100% right (really)\nname: a-b_c\n",
]
DECLINED = [
    "title: yes\n",  # YAML 1.1 boolean
    "title: No\n",
    "on: email\n",  # the key is a boolean in YAML 1.1
    "channel: null\n",
    "count: 42\n",
    "date: 2024-05-01\n",
    "title: 'quoted'\n",
    'title: "quoted"\n',
    "title: a # comment\n",
    "title: a: b\n",
    "title:\n  nested: x\n",
    "variables:\n  - a\n",
    "title: |\n  block\n",
    "variables: [a, yes]\n",
    "variables: [a, 1]\n",
    "title: &anchor a\n",
    "upset: True\n",
    "\n",
]


@pytest.mark.parametrize("src", ACCEPTED)
def test_accepted_front_matter_parses_as_pyyaml_does(src: str) -> None:
    node = parse_flat_yaml(src)
    assert node is not None
    assert node.to_python() == yaml.safe_load(src)


@pytest.mark.parametrize("src", DECLINED)
def test_anything_else_is_left_to_pyyaml(src: str) -> None:
    assert parse_flat_yaml(src) is None


def test_positions_point_at_keys_and_values() -> None:
    src = "title: Refund\nvariables: [first_name,  order_id]\n"
    node = parse_flat_yaml(src, base=4)
    assert node is not None
    (k1, v1), (_, v2) = node.pairs
    assert (k1.start, k1.end, v1.start, v1.end) == (4, 9, 11, 17)
    assert [src[i.start - 4 : i.end - 4] for i in v2.items] == ["first_name", "order_id"]


_piece = st.text(alphabet="abcXYZ09 _-.,'!?%&*|>:#[]{}\"\t", max_size=12)


@given(st.lists(st.tuples(st.sampled_from(["title", "on", "tags", "x-y", "upset"]), _piece),
                max_size=4))
def test_never_disagrees_with_pyyaml(entries: list[tuple[str, str]]) -> None:
    src = "".join(f"{k}: {v}\n" for k, v in entries)
    node = parse_flat_yaml(src)
    if node is not None:
        assert node.to_python() == yaml.safe_load(src)


@given(st.lists(st.tuples(st.sampled_from(["title", "on", "tags", "x-y", "upset"]), _piece),
                max_size=4))
def test_flat_values_are_what_the_nodes_hold(entries: list[tuple[str, str]]) -> None:
    src = "".join(f"{k}: {v}\n" for k, v in entries)
    node = parse_flat_yaml(src)
    values = flat_values(src)
    if node is None:
        assert values is None
    else:
        assert values == [(k.value, v.to_python()) for k, v in node.pairs]
