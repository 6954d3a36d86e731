"""Greetings and sign-offs by channel and language: `[team.greetings]` over the defaults, and the
replies drafter composes with them (through the CLI and the App, against a stand-in model)."""

from __future__ import annotations

from pathlib import Path

import pytest
from standin_server import REPLY, StandIn

from drafter.app import App
from drafter.config import load_settings
from drafter.errors import ConfigError
from drafter.greetings import Greetings, greetings_for
from drafter.tickets.model import Message, Ticket

EMAIL = "From: Jürgen Weber <jw@example.de>\nSubject: Lieferung\n\nWo ist mein Paket?\n"


def team(tmp_path: Path, toml: str = "") -> dict:
    config = tmp_path / "drafter.toml"
    config.write_text(toml)
    return App(load_settings(env={}, config_path=config)).team


def test_defaults_by_channel_and_language(tmp_path: Path) -> None:
    t = team(tmp_path)
    assert greetings_for(t, "email") == Greetings("Hi {name},", "Hello,", "Best regards,",
                                                 "The Support Team")
    german = greetings_for(t, "email", "de-DE")
    assert (german.open("Jürgen"), german.open(None)) == ("Hallo Jürgen,", "Guten Tag,")
    assert german.close() == "Viele Grüße\nThe Support Team"
    assert greetings_for(t, "email", "ja") == greetings_for(t, "email", "en")  # unknown: English
    assert greetings_for(t, "chat") == greetings_for(t, "chat", "de") == Greetings()
    assert greetings_for(t, "social").close() == ""


def test_the_team_table_wins_key_by_key(tmp_path: Path) -> None:
    t = team(tmp_path, '[team]\nsign_off = "Cheers,"\n'
                       '[team.greetings.email.de]\nsign_off = "Beste Grüße"\n'
                       '[team.greetings.chat.en]\ngreeting = "Hey {name}!"\n')
    assert greetings_for(t, "email").sign_off == "Cheers,"  # the flat key is English email
    assert greetings_for(t, "email", "de") == Greetings("Hallo {name},", "Guten Tag,",
                                                       "Beste Grüße", "The Support Team")
    chat = greetings_for(t, "chat", "fr")  # no French chat words: the English ones
    assert (chat.open("Ana"), chat.close()) == ("Hey Ana!", "")


def test_a_malformed_table_names_the_key(tmp_path: Path) -> None:
    t = team(tmp_path, '[team.greetings.email.de]\nsignoff = "Tschüss"\n')
    with pytest.raises(ConfigError, match=r"team\.greetings\.email\.de\.signoff"):
        greetings_for(t, "email", "de")


def test_a_chat_reply_gets_no_email_greeting_or_sign_off(draft, monkeypatch: pytest.MonkeyPatch) -> None:
    with StandIn() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("DRAFTER_MODEL", "stand-in")
        chat = draft(["reply", "--channel", "chat", "--no-stream", "--max-revisions", "0"],
                     input="Where is my parcel? It was due on Monday.")
        email = draft(["reply", "--channel", "email", "--no-stream", "--max-revisions", "0"],
                      input="Where is my parcel? It was due on Monday.")
    assert chat.code == email.code == 0, (chat, email)
    assert chat.stdout == REPLY + "\n"
    assert email.stdout == f"Hello,\n\n{REPLY}\n\nBest regards,\nThe Support Team\n"


def test_a_german_customer_gets_a_german_greeting_and_sign_off(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ticket = Ticket(messages=[Message(body="Wo ist mein Paket?", latest="Wo ist mein Paket?",
                                      sender_name="Jürgen Weber", from_customer=True)],
                    customer_name="Jürgen Weber")
    with StandIn() as server:
        app = App(load_settings(env={"OPENAI_BASE_URL": server.base_url,
                                     "DRAFTER_MODEL": "stand-in",
                                     "DRAFTER_DRAFT_MAX_REVISIONS": "0"}, cwd=tmp_path))
        result = app.reply(ticket, language="de")
    assert result.text == f"Hallo Jürgen,\n\n{REPLY}\n\nViele Grüße\nThe Support Team\n"
