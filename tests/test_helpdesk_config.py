"""The helpdesk foundation: ticket names, the [helpdesk] settings and the token, connectors by
kind, and a plugin found through a real entry point (an installed distribution on sys.path)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from drafter.config import load_settings
from drafter.errors import ConfigError, InputError
from drafter.helpdesk import (
    ENTRY_POINT_GROUP,
    Connector,
    TicketName,
    helpdesk_config,
    open_connector,
    parse_ticket_name,
)
from drafter.helpdesk.base import NOTE_MARKER, HelpdeskError
from drafter.helpdesk.config import connector_class
from drafter.helpdesk.rt import RTConnector
from drafter.tickets.model import Message, Ticket, public_thread

RT = {"helpdesk.kind": "rt", "helpdesk.url": "https://rt.example.com/", "helpdesk.token_env": "RT_TOKEN"}


@pytest.mark.parametrize(("text", "helpdesk", "expected"), [
    ("local:7", "rt", TicketName("local", "7")),
    ("rt:123", "rt", TicketName("rt", "123")),
    ("123", "rt", TicketName("rt", "123")),
    ("123", None, TicketName("local", "123")),
    (" 42 ", None, TicketName("local", "42")),
])
def test_ticket_names_carry_their_source(text: str, helpdesk: str | None,
                                         expected: TicketName) -> None:
    name = parse_ticket_name(text, helpdesk)
    assert name == expected
    assert str(name) == f"{expected.source}:{expected.number}"


@pytest.mark.parametrize(("text", "helpdesk", "says"), [
    ("rt:123", None, "no helpdesk is configured"),
    ("zendesk:5", "rt", "the configured helpdesk is 'rt'"),
    ("local:abc", "rt", "tickets in the store are numbered"),
    ("12 3", None, "is not a ticket name"),
    ("", None, "is not a ticket name"),
])
def test_bad_ticket_names_say_why(text: str, helpdesk: str | None, says: str) -> None:
    with pytest.raises(InputError, match=says):
        parse_ticket_name(text, helpdesk)


def test_no_kind_means_no_helpdesk() -> None:
    assert helpdesk_config(load_settings(env={}, cwd=Path("/"))) is None


def test_config_from_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ca.pem").write_text("")
    (tmp_path / "drafter.toml").write_text(textwrap.dedent("""\
        [helpdesk]
        kind = "rt"
        url = "https://rt.example.com/"
        token_env = "RT_TOKEN"
        queue = "Support"
        ca_file = "ca.pem"
    """))
    monkeypatch.setenv("RT_TOKEN", "1-2-secret")
    config = helpdesk_config(load_settings(cwd=tmp_path))
    assert config is not None
    assert (config.kind, config.url, config.queue) == ("rt", "https://rt.example.com", "Support")
    assert config.ca_file == tmp_path / "ca.pem"
    assert config.token == "1-2-secret"
    assert config.retry.max_attempts == 4  # the model client's policy (llm.max_attempts)


def test_a_literal_token_in_the_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "drafter.toml").write_text('[helpdesk]\nkind = "rt"\ntoken = "1-2-secret"\n')
    with pytest.raises(ConfigError, match="unknown key `token` in \\[helpdesk\\]") as caught:
        load_settings(cwd=tmp_path)
    assert "token_env" in str(caught.value) and "1-2-secret" not in str(caught.value)


@pytest.mark.parametrize(("flags", "says"), [
    ({"helpdesk.url": None}, "`helpdesk.url` is not set"),
    ({"helpdesk.url": "rt.example.com"}, "must be an http\\(s\\) URL"),
    ({"helpdesk.url": "https://root:password@rt.example.com"}, "holds a user name or password"),
    ({"helpdesk.url": "https://rt.example.com/?token=1-2-abc"}, "has a query or fragment"),
    ({"helpdesk.token_command": "echo x"}, "both `helpdesk.token_env` and `helpdesk.token_command`"),
])
def test_config_mistakes_are_named(flags: dict[str, str | None], says: str) -> None:
    settings = load_settings(env={}, cwd=Path("/"), flags=RT)
    for key, value in flags.items():
        settings.values[key] = value
    with pytest.raises(ConfigError, match=says):
        helpdesk_config(settings)


def test_no_token_source_is_an_error() -> None:
    settings = load_settings(env={}, cwd=Path("/"), flags={**RT, "helpdesk.token_env": None})
    with pytest.raises(ConfigError, match="no helpdesk token") as caught:
        helpdesk_config(settings)
    assert "never put the token itself in the file" in str(caught.value)


def test_the_token_from_a_command(tmp_path: Path) -> None:
    script = tmp_path / "token.sh"
    script.write_text("#!/bin/sh\necho '  1-9-from-command'\n")
    script.chmod(0o755)
    settings = load_settings(env={}, cwd=Path("/"), flags={
        **RT, "helpdesk.token_env": None, "helpdesk.token_command": f"{script}"})
    config = helpdesk_config(settings)
    assert config is not None and config.token == "1-9-from-command"


def test_a_failing_token_command_never_shows_its_output(tmp_path: Path) -> None:
    script = tmp_path / "token.sh"
    script.write_text("#!/bin/sh\necho 1-9-leaked\necho 'vault is sealed' >&2\nexit 3\n")
    script.chmod(0o755)
    settings = load_settings(env={}, cwd=Path("/"), flags={
        **RT, "helpdesk.token_env": None, "helpdesk.token_command": str(script)})
    config = helpdesk_config(settings)
    assert config is not None
    with pytest.raises(ConfigError, match="exited with 3: vault is sealed") as caught:
        config.token  # noqa: B018
    assert "1-9-leaked" not in str(caught.value)


def test_an_unset_token_variable_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RT_TOKEN", raising=False)
    config = helpdesk_config(load_settings(env={}, cwd=Path("/"), flags=RT))
    assert config is not None
    with pytest.raises(ConfigError, match="RT_TOKEN"):
        config.token  # noqa: B018


def test_four_are_built_in_and_an_unknown_kind_lists_the_known() -> None:
    assert connector_class("rt") is RTConnector
    assert [connector_class(k).kind for k in ("zendesk", "freshdesk", "helpscout")] == \
        ["zendesk", "freshdesk", "helpscout"]
    settings = load_settings(env={}, cwd=Path("/"), flags={**RT, "helpdesk.kind": "frontapp"})
    with pytest.raises(ConfigError, match="'frontapp': no such connector") as caught:
        open_connector(settings)
    assert "known: freshdesk, helpscout, rt, zendesk" in str(caught.value)
    assert ENTRY_POINT_GROUP in str(caught.value)


PLUGIN = '''
from drafter.helpdesk import Check, Connector, Listed
from drafter.tickets.model import Message, Ticket


class AcmeDesk(Connector):
    """A helpdesk kept in memory, as docs/helpdesk.md's example."""

    kind = "acme"
    notes: dict[str, list[str]] = {}

    def fetch(self, number):
        text = "Where is my order?"
        return Ticket(messages=[Message(body=text, latest=text, sender_address="jo@example.com")],
                      subject="Order", customer_address="jo@example.com", name=self.name(number))

    def list_tickets(self, scope=None, since=None, status=None):
        yield Listed(number="1", subject="Order", status="open", updated=None)

    def add_note(self, number, text):
        self.notes.setdefault(number, []).append(text)
        return str(len(self.notes[number]))

    def check(self):
        return [Check("URL", True, self.config.url)]
'''


def test_a_plugin_is_found_through_its_entry_point(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "acme_desk.py").write_text(PLUGIN)
    dist = tmp_path / "acme_desk-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-desk\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nacme = acme_desk:AcmeDesk\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("ACME_TOKEN", "t")
    settings = load_settings(env={}, cwd=Path("/"), flags={
        "helpdesk.kind": "acme", "helpdesk.url": "https://acme.example.com",
        "helpdesk.token_env": "ACME_TOKEN"})
    with open_connector(settings) as desk:
        assert isinstance(desk, Connector) and desk.kind == "acme"
        ticket = desk.fetch("9")
        assert ticket.name == "acme:9"
        assert desk.post_note(ticket, "draft").posted
        assert desk.check()[0].detail == "https://acme.example.com"
    sys.modules.pop("acme_desk", None)


def test_post_note_is_idempotent_per_latest_customer_message() -> None:
    class Memory(Connector):
        kind = "memory"

        def __init__(self) -> None:
            self.added: list[str] = []

        def fetch(self, number: str) -> Ticket:
            raise NotImplementedError

        def list_tickets(self, scope=None, since=None, status=None):  # type: ignore[no-untyped-def]
            return iter(())

        def add_note(self, number: str, text: str) -> str | None:
            self.added.append(text)
            return None

        def check(self):  # type: ignore[no-untyped-def]
            return []

    ask = Message(body="Where is it?", latest="Where is it?", message_id="<1@x>")
    ticket = Ticket(messages=[ask], name="memory:5")
    desk = Memory()
    assert desk.post_note(ticket, "Draft one").posted
    assert desk.added[0].endswith(f"{NOTE_MARKER}<1@x>\n")
    noted = Ticket(messages=[ask, Message(body=desk.added[0], latest="", from_customer=False,
                                          internal=True)], name="memory:5")
    assert not desk.post_note(noted, "Draft two").posted
    assert desk.post_note(noted, "Draft two", force=True).posted
    again = Ticket(messages=[*noted.messages, Message(body="Hello?", latest="Hello?",
                                                      message_id="<2@x>")], name="memory:5")
    assert desk.post_note(again, "Draft three").posted
    assert len(desk.added) == 3
    assert public_thread(noted).messages == [ask]
    with pytest.raises(HelpdeskError, match="no message from the customer"):
        desk.post_note(Ticket(messages=[], name="memory:6"), "Draft")
