"""The sanity rules (SAN): what makes a model's draft no draft — flagged, and what must not be."""

from __future__ import annotations

from typing import Any

import pytest

from drafter.app import App
from drafter.language import detect
from drafter.prompting import Prompts, instructions
from drafter.review.context import ReviewContext
from drafter.review.reviewer import Reviewer
from drafter.styleguide import load_styleguide
from drafter.tickets.model import Message, Ticket

GUIDE = load_styleguide()
TEAM = {"name": "Lumen & Co.", "product": "Lumen lamps"}
MARIA = ("I am honestly fed up. My order #48213 (the Aalto floor lamp) arrived this morning and "
         "the glass shade is shattered. I paid 189 € for this lamp and I needed it for a room I "
         "am finishing this weekend. Can you send a replacement that will arrive before "
         "Saturday, or do I have to ask for a refund?")
JURGEN = ('ich habe am Montag die Stehleuchte "Birke" bestellt (Bestellnummer 48377). Können Sie '
          "mir sagen, wann sie ungefähr geliefert wird? Ich bin ab dem 20. Januar für zwei Wochen "
          "verreist.")
ALEX = "yes, and I clicked the link. still doesn't work. I need to check my order status today"


def ticket(text: str, name: str = "Maria Lopez") -> Ticket:
    return Ticket(messages=[Message(body=text, latest=text, sender_name=name)],
                  subject="Order", customer_name=name)


PROMPT = instructions(Prompts().reply_messages(GUIDE, TEAM, ticket(MARIA), "email"))


def ctx(customer: str | None = MARIA, **extra: Any) -> ReviewContext:
    return ReviewContext(customer_text=customer, asks_question=True if customer else None,
                         prompt=PROMPT, model_draft=True, **extra)


def codes(text: str, context: ReviewContext, prefix: str = "SAN") -> list[str]:
    found = Reviewer(GUIDE, select=[prefix]).review(text, context)
    return [f"{f.code}:{text[f.start:f.end]}" for f in found]


GOOD = ("I'm sorry the shade arrived shattered, and on your second order in a row. I can send a "
        "replacement lamp today by express so it reaches you on Friday, or refund the 189 € in "
        "full. Which would you prefer?")

# (code, draft, context, expected flagged texts; [] means must not flag)
CASES: list[tuple[str, str, ReviewContext, list[str]]] = [
    # SAN001: the prompt's sentences and markup.
    ("SAN001", "You are the support agent: write your email reply to the customer's latest "
     "message. Your lamp ships today.", ctx(),
     ["You are the support agent: write your email reply to the customer's latest message"]),
    ("SAN001", '</message>\n<message from="customer" date="2024-01-09">\nThe lamp ships today.',
     ctx(), ["</message>", '<message from="customer" date="2024-01-09">']),
    ("SAN001", "Hi Jane,\n<details>\n<summary>Sorry!</summary>", ctx(),
     ["<details>", "<summary>", "</summary>"]),
    ("SAN001", "The lamp ships today <|im_end|>", ctx(), ["<|im_end|>"]),
    ("SAN001", GOOD, ctx(), []),
    # A few words in common with the instructions are not an echo.
    ("SAN001", "Here is what happens next: the courier collects the broken lamp on Friday.",
     ctx(), []),
    # A whole reply under review may hold a tag the team wrote (not a model draft): only the
    # prompt's own markup counts there.
    ("SAN001", "Press <b>Save</b> to keep it.", ReviewContext(prompt=PROMPT), []),
    ("SAN001", "You are the support agent: write your email reply now.", ReviewContext(), []),
    # SAN002: the customer's words handed back.
    ("SAN002", "My order #48213 (the Aalto floor lamp) arrived this morning and the glass shade "
     "is shattered. We will help.", ctx(),
     ["My order #48213 (the Aalto floor lamp) arrived this morning and the glass shade is "
      "shattered"]),
    ("SAN002", "You wrote: “I needed it for a room I am finishing this weekend.” A new one "
     "arrives on Friday.", ctx(), []),
    ("SAN002", 'You mentioned that "the glass shade is shattered" in the box. A new one '
     "arrives on Friday.", ctx(), []),
    ("SAN002", "> I paid 189 € for this lamp and I needed it for a room\nA refund is on its way.",
     ctx(), []),
    ("SAN002", GOOD, ctx(), []),
    ("SAN002", "The glass shade is shattered: that is our packing's fault.", ctx(None), []),
    # SAN003: the customer's voice.
    ("SAN003", "I'm really disappointed because I was hoping to get a replacement.", ctx(),
     ["I'm really disappointed", "I was hoping to get"]),
    ("SAN003", "My order arrived broken, and I paid 189 € for it.", ctx(),
     ["My order", "I paid 189"]),
    ("SAN003", "I hope you can help me with my order 4821.", ctx(),
     ["I hope you can help me", "my order"]),
    ("SAN003", "I clicked the link and it still fails.", ctx(ALEX), ["I clicked the"]),
    ("SAN003", GOOD, ctx(), []),
    ("SAN003", "I understand how annoying this is. I can send a new lamp today, and my team "
     "will call you. I ordered a replacement for you this morning.", ctx(), []),
    ("SAN003", "I'm disappointed to hear the shade broke; a new one ships today.", ctx(), []),
    ("SAN003", "Can you send me a photo of the box? I need it for the courier.", ctx(), []),
    ("SAN003", "My order arrived broken.", ctx(None), []),
    # Asking for help instead of giving it (the bundled model's chat draft for example ticket 7).
    ("SAN003", "I'm unable to access it. If you could help me out, I'd really appreciate it if "
     "you could do so.", ctx(ALEX), ["I'm unable to access", "help me out",
                                     "I'd really appreciate it if you could"]),
    ("SAN003", "Thank you for your help.", ctx(ALEX), ["Thank you for your help"]),
    ("SAN003", "I can help you with this today. Thank you for your patience; if you're unable "
     "to access the page, I'd be happy to reset it for you.", ctx(ALEX), []),
    # SAN004: a greeting or sign-off inside a model's draft.
    ("SAN004", "The lamp ships today.\n\nBest regards,\nSam", ctx(), ["Best regards,"]),
    ("SAN004", "Hello Maria,\n\nThe lamp ships today.", ctx(), ["Hello Maria,"]),
    ("SAN004", "Guten Tag,\n\nIhre Leuchte kommt am Freitag.\n\nMit freundlichen Grüßen", ctx(),
     ["Guten Tag,", "Mit freundlichen Grüßen"]),
    ("SAN004", "Hi Maria,\n\nThe lamp ships today.\n\nBest regards,\nSam",
     ReviewContext(customer_text=MARIA), []),
    ("SAN004", "Thanks to your photo, the courier accepted the claim.\nThank you for waiting.",
     ctx(), []),
    ("SAN004", GOOD, ctx(), []),
    # SAN005: another language than the customer's.
    ("SAN005", "Your lamp ships on Monday and will arrive before you travel on the 20th.",
     ctx(JURGEN), ["Your lamp ships on Monday and will arrive before you travel on the 20th."]),
    ("SAN005", "Ihre Stehleuchte wird am Freitag geliefert, also vor Ihrer Reise. Wir schicken "
     "Ihnen die Sendungsnummer.", ctx(JURGEN), []),
    ("SAN005", GOOD, ctx(), []),
    ("SAN005", "Danke!", ctx(), []),  # too short to tell: silent
    ("SAN005", "OK, the Birke lamp ships Monday.", ctx(JURGEN), []),  # unsure: silent
    # SAN006: the question untouched anywhere.
    ("SAN006", "Thank you for being a loyal customer. We value your feedback and hope you "
     "enjoy our products.", ctx(),
     ["Thank you for being a loyal customer. We value your feedback and hope you enjoy our "
      "products."]),
    ("SAN006", GOOD, ctx(), []),
    ("SAN006", "Yes.", ctx(), []),
    ("SAN006", "Could you tell me when the box was delivered?", ctx(), []),
    ("SAN006", "We value your feedback.", ReviewContext(asks_question=True), []),
    # A human's reply answers in its own words too often ("It came out today" to "when is it
    # out?"): the rule reads model drafts only, unless asked to read every reply.
    ("SAN006", "Thank you for being a loyal customer.",
     ReviewContext(customer_text=MARIA, asks_question=True), []),
    # SAN007: nothing left to send (a stop sequence ended the draft before it began).
    ("SAN007", "", ctx(), [""]),
    ("SAN007", "Okay.", ctx(), ["Okay."]),
    ("SAN007", "Yes, it ships today.", ctx(), []),
    ("SAN007", "Done!", ReviewContext(), []),  # a person's short reply is theirs to send
    # SAN008: a paragraph the model left mid-sentence (issue 15's German ticket: three of them).
    ("SAN008", "Ich habe am Montag die Stehleuchte\n\nDas ist eine bestellen\n\nSobald das "
     "Paket unterwegs", ctx(),
     ["Ich habe am Montag die Stehleuchte", "Das ist eine bestellen", "Sobald das Paket unterwegs"]),
    ("SAN008", "I'm sorry the lamp broke.\n\nWhat happens next,", ctx(), ["What happens next,"]),
    ("SAN008", "Your lamp ships today.\n\nTrack it here: https://lumen.example/t/48377", ctx(),
     []),
    ("SAN008", "Two ways to go:\n\n- a new lamp\n- a refund", ctx(), []),  # list items
    ("SAN008", "It ships today (by DHL).\n\nSee you soon 🙂", ctx(), []),
    ("SAN008", "Thanks for your patience ❤️\n\nAll done for today ✔️\n\nTalk soon :-)", ctx(), []),
    ("SAN008", "您的订单今天发货。\n\n¿Le llegó el paquete?", ctx(), []),
    ("SAN008", "Thanks so much", ctx(), ["Thanks so much"]),
    ("SAN008", "Ihre Leuchte kommt am Freitag.\n\nMit freundlichen Grüßen", ctx(), []),  # SAN004
    ("SAN008", "It ships today.\n\nSee you", ctx(), []),  # under three words
    ("SAN008", "we are on it", ReviewContext(), []),  # a person's reply is theirs to send
]


@pytest.mark.parametrize("code,text,context,expected", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_sanity_cases(code: str, text: str, context: ReviewContext, expected: list[str]) -> None:
    assert codes(text, context, code) == [f"{code}:{e}" for e in expected]


def test_language_detection_is_silent_when_unsure() -> None:
    assert detect(JURGEN) == "de"
    assert detect(MARIA) == "en"
    assert detect("OK") is None
    assert detect("ok thanks") is None
    assert detect("Merci, la lampe est arrivée et elle est très belle.") == "fr"


@pytest.mark.parametrize("draft,expected", [
    # The bundled model's drafts as issue 15 found them.
    ("ich habe am Montag die Stehleuchte \"Birke\" bestellt (Bestellnummer 48377). Können Sie "
     "mir sagen, wann sie ungefähr geliefert wird?\n\nYou are the support agent: write your "
     "email reply to Jürgen's latest message.", {"SAN001", "SAN002"}),
    ("I'm really disappointed because I was hoping to get a replacement.", {"SAN003"}),
])
def test_the_issue_drafts_are_errors(draft: str, expected: set[str]) -> None:
    found = Reviewer(GUIDE).review(draft, ctx(JURGEN if "Birke" in draft else MARIA))
    assert expected <= {f.code for f in found if f.severity == "error"}


def test_review_with_a_ticket_knows_the_prompt(tmp_path: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = App.from_config()
    draft = "You are the support agent: write your email reply to the customer's latest message."
    found = app.review(draft, ticket(MARIA))
    assert "SAN001" in {f.code for f in found}
    assert "SAN001" not in {f.code for f in app.review(draft)}  # no ticket, no prompt: silent
