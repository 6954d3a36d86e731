"""The rule catalogue: docs complete, doc examples as tests, must-flag and must-not-flag tables,
and property tests on arbitrary text."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafter.review.context import ReviewContext
from drafter.review.finding import line_col
from drafter.review.registry import Rule
from drafter.review.reviewer import Reviewer, build_check, catalogue
from drafter.styleguide import load_styleguide

GUIDE = load_styleguide()
RULES = catalogue(GUIDE)
BY_CODE = {r.code: r for r in RULES}


def reviewer_for(rule: Rule, extra: dict[str, Any] | None = None) -> Reviewer:
    """A reviewer running only `rule`, with extra settings (as a team's TOML would set them)."""
    reviewer = Reviewer(GUIDE, select=[rule.code])
    if extra:
        reviewer._checks = [(rule, build_check(GUIDE, rule, extra))]
    return reviewer


def fired(code: str, text: str, extra: dict[str, Any] | None = None, **ctx: Any) -> list[str]:
    """The matched texts of rule `code`'s findings on `text`."""
    found = reviewer_for(BY_CODE[code], extra).review(text, ReviewContext(**ctx))
    assert all(f.code == code for f in found)
    return [text[f.start:f.end] for f in found]


# --- the catalogue itself ---------------------------------------------------------------------

def test_every_family_has_several_rules() -> None:
    families = {r.family for r in RULES}
    assert families == {"EMP", "DIR", "PLN", "CHO", "OWN", "TON", "PER", "HYG", "SAF", "SAN",
                        "GRD"}
    for fam in families - {"GRD"}:  # grounding has one rule so far: unsupported facts
        assert sum(r.family == fam for r in RULES) >= 2, fam


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_doc_is_complete(rule: Rule) -> None:
    assert re.fullmatch(r"[A-Z]{3}\d{3}", rule.code)
    assert re.fullmatch(r"[a-z]+(?:-[a-z]+)*", rule.name)
    assert rule.severity in ("error", "warning", "info")
    principle = GUIDE.principle(rule.principle)
    assert principle is not None, f"{rule.code}: unknown principle {rule.principle}"
    for section in ("summary", "what", "why", "example", "instead"):
        assert getattr(rule, section).strip(), f"{rule.code} has no `{section}`"
    assert principle.title in rule.why, f"{rule.code}: `why` must name its principle"
    assert rule.example != rule.instead
    assert rule.fix, f"{rule.code} has no fix title"
    assert len({r.name for r in RULES}) == len(RULES), "rule names must be unique"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_doc_example_fires_and_use_instead_does_not(rule: Rule) -> None:
    reviewer = reviewer_for(rule, dict(rule.example_settings))
    ctx = ReviewContext(**rule.example_context)
    assert [f.code for f in reviewer.review(rule.example, ctx)], \
        f"{rule.code}: its doc example does not fire"
    assert reviewer.review(rule.instead, ctx) == [], f"{rule.code}: its `use instead` fires"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_use_instead_is_clean_under_the_whole_catalogue(rule: Rule) -> None:
    """A doc's good example should not teach something another rule flags."""
    found = Reviewer(GUIDE).review(rule.instead, ReviewContext(**rule.example_context))
    assert [(f.code, f.message) for f in found] == []


@pytest.mark.parametrize("rule", [r for r in RULES if r.needs], ids=lambda r: r.code)
def test_rule_without_its_context_stays_silent(rule: Rule) -> None:
    reviewer = reviewer_for(rule, dict(rule.example_settings))
    assert reviewer.review(rule.example, ReviewContext()) == []


def test_every_rule_has_its_settings_table_or_needs_none() -> None:
    """Phrase-list rules read their lists from the guide: a missing table would silence them."""
    for rule in RULES:
        if rule.code in ("HYG002", "SAF003", "SAF006", "DIR003", "DIR004", "PLN001", "PLN003",
                         "HYG006") or rule.family == "SAN":
            continue  # pure logic, or thresholds with defaults
        assert GUIDE.rule_settings(rule.code) is not None, f"no [rules.{rule.code}] in the guide"


# --- must flag / must not flag ------------------------------------------------------------------

UPSET = {"upset": True, "reports_problem": True}
Q = {"asks_question": True, "customer_text": "How long does a refund take?"}
NAME = {"customer_name": "Jane Doe"}
EMAIL = {"channel": "email"}
SOCIAL = {"channel": "social"}
# A model draft for a ticket with the customer's phone and address, and a team's own contacts.
CONTACT_TICKET = {"model_draft": True,
                  "ticket_text": "Call me on 07700 900123 or mail jane@example.org. Order 12345678.",
                  "team_contacts": ("support@acme.com", "acme.com", "Acme\n+44 20 7946 0958")}
# The same, knowing which part the team wrote: nothing of the customer's is the team's.
PLANTED_TICKET = {**CONTACT_TICKET, "team_text": "Sam sam@acme.com"}

# (code, text, context, expected matched texts; [] means must not flag)
CASES: list[tuple[str, str, dict[str, Any], list[str] | None]] = [
    # EMP001
    ("EMP001", "Your replacement ships Monday.", UPSET, ["Your replacement ships Monday."]),
    ("EMP001", "We apologize for any inconvenience. Your replacement ships Monday.", UPSET, None),
    ("EMP001", "I'm so sorry it broke. Your replacement ships Monday.", UPSET, []),
    ("EMP001", "That sounds really frustrating. A new one ships Monday.", UPSET, []),
    ("EMP001", "Hi Jane,\n\nI understand how annoying this is. A new one ships Monday.", UPSET, []),
    ("EMP001", "Your replacement ships Monday.", {}, []),
    # Real false alarms: an acknowledgement in other words, the second part of a split reply,
    # thanks for a customer's praise.
    ("EMP001", "We're disappointed to hear this. A new one ships Monday.", UPSET, []),
    # Reading the request back is not acknowledging how the customer feels (a real miss).
    ("EMP001", "I understand that you would like a refund. Refunds take five days.", UPSET,
     ["I understand that you would like a refund."]),
    ("EMP001", "I understand you're looking for the invoice. It is in your account.", UPSET,
     ["I understand you're looking for the invoice."]),
    ("EMP001", "I understand that you are upset about the delay. A new one ships Monday.", UPSET,
     []),
    ("EMP001", "Oh no, that's not the welcome home we wanted for you! A new one ships Monday.",
     UPSET, []),
    ("EMP001", "We apologize for the wait on this one. A new one ships Monday.", UPSET, []),
    ("EMP001", "@anna You can also reset it from the app settings. 2/2", UPSET, []),
    ("EMP001", "@anna Thanks so much for the kind words! Enjoy the trip.", UPSET, []),
    ("EMP001", "We value your feedback on the crew and are passing it on today.", UPSET, []),
    ("EMP001", "@anna You can also reset it from the app settings. 1/2", UPSET,
     ["@anna You can also reset it from the app settings."]),
    ("EMP001", "Your replacement ships Monday.", {"upset": False, "reports_problem": False}, []),
    # Real misses: a slogan or a greeting is not an acknowledgement, nor is a stock apology.
    ("EMP001", "@jo Here to help! Connect with us here: https://t.co/abc", UPSET,
     ["@jo Here to help!"]),
    ("EMP001", "@jo Hey, help's here! Can you try the web player?", UPSET,
     ["@jo Hey, help's here!"]),
    # ... and real acknowledgements in other words: agreeing it is bad, offering to put it right.
    ("EMP001", "@jo Hello, this does not sound good. Can you DM the account name?", UPSET, []),
    ("EMP001", "@jo We'd love the chance to turn things around for you! Please DM us.", UPSET,
     []),
    ("EMP001", "@jo We appreciate your constructive feedback and will share it.", UPSET, []),
    # Real miss: "I can see" that contradicts the customer is not an acknowledgement.
    ("EMP001", "@jo Hi Jo, I can see it's working on my end. Can you clear the cache?", UPSET,
     ["@jo Hi Jo, I can see it's working on my end."]),
    ("EMP001", "@jo I can see how annoying this is. Can you clear the cache?", UPSET, []),
    # EMP002
    # Real misses: stock apologies in other words, and conditional ones.
    ("EMP002", "We apologise for any trouble or inconvenience you may be having. It ships today.",
     {}, ["apologise for any trouble or inconvenience you may be"]),
    ("EMP002", "We're sorry if our courier missed you. It comes back tomorrow.", {},
     ["sorry if our"]),
    # Real false alarm: a closing courtesy is not an apology.
    ("EMP002", "It ships today. Thank you for your understanding.", {}, []),
    ("EMP002", "I'm sorry our courier missed you. It comes back tomorrow.", {}, []),
    ("EMP002", "I'm sorry, if you DM us the order number we'll fix it.", {}, []),
    # Real misses: a stock "any frustration" apology whatever follows it, and non-apologies
    # (sorry for what the customer thinks or feels, not for what happened).
    ("EMP002", "I'm sorry for any frustration the fee is extra. It covers packing.", {},
     ["sorry for any frustration"]),
    ("EMP002", "I'm sorry to hear of any trouble. I've answered your message.", {},
     ["sorry to hear of any trouble"]),
    ("EMP002", "I apologize that you think that. Our prices are the same for everyone.", {},
     ["apologize that you think"]),
    ("EMP002", "We're sorry you feel that way. The plan renews monthly.", {},
     ["sorry you feel that way"]),
    ("EMP002", "I'm sorry you're frustrated by the fee; I've refunded it.", {}, []),
    ("EMP002", "I'm sorry the trouble with your card came back; it's fixed now.", {}, []),
    # Real false alarm: the customer's own word, taken up, is not generic.
    ("EMP005", "Sorry for the frustration! The code is on its way.",
     {"customer_text": "no code again, this is so frustrating"}, []),
    ("EMP005", "Sorry for the frustration! The code is on its way.",
     {"customer_text": "no code again"}, ["Sorry for the frustration"]),
    # Real false alarms: a calm question answered in the first words; an acknowledgement in
    # other words.
    ("EMP001", "@jo Yes, chat is open 9 to 5. Tap Help.",
     {"reports_problem": True, "asks_question": True, "upset": False}, []),
    ("EMP001", "@jo Yes, chat is open 9 to 5. Tap Help.",
     {"reports_problem": True, "asks_question": True, "upset": True},
     ["@jo Yes, chat is open 9 to 5. Tap Help."]),
    ("EMP001", "Hi Jo. That is distressing to read. We'll refund it now.", UPSET, []),
    ("EMP002", "We apologize for any inconvenience this may have caused.", {},
     ["We apologize for any inconvenience this may have caused"]),
    ("EMP002", "Sorry for the inconvenience.", {}, ["Sorry for the inconvenience"]),
    ("EMP002", "Please accept our apologies.", {}, ["Please accept our apologies"]),
    # Addressed to the customer by name, with the specifics after it: their apology.
    ("EMP002", "Please accept our apologies, Amy. Flight 1441 left late because the incoming "
     "plane was late.", {}, []),
    ("EMP002", "Please accept our apologies again.", {}, ["Please accept our apologies"]),
    ("EMP002", "I'm sorry the delivery was late.", {}, []),
    ("EMP002", '> "We apologize for any inconvenience" is all I ever hear.\nI hear you.', {}, []),
    ("EMP002", 'You wrote "we apologize for any inconvenience" is not enough. Fair.', {}, []),
    # EMP003
    ("EMP003", "Sorry. Sorry again. Sorry!", {}, ["Sorry", "Sorry"]),
    ("EMP003", "I'm sorry about the delay; it ships today.", {}, []),
    ("EMP003", "No need to apologise for asking, and I'm sorry it took a while.", {}, []),
    # EMP004
    ("EMP004", "Please calm down.", {}, ["calm down"]),
    ("EMP004", "It's not a big deal.", {}, ["It's not a big deal"]),
    ("EMP004", "I understand this matters a lot to you.", {}, []),
    # DIR001
    ("DIR001", "Thank you for reaching out. The fix is live.", {}, ["Thank you for reaching out"]),
    ("DIR001", "Hi Jane,\n\nI hope this email finds you well. The fix is live.", {},
     ["I hope this email finds you well"]),
    ("DIR001", "The fix is live. Updates take a minute. Thank you for reaching out.", {}, []),
    # Real false alarm: in a two-sentence reply the closing thanks are in the "opening" too.
    ("DIR001", "I've replied to your DM. Thank you for your patience!", SOCIAL, []),
    ("DIR001", "@jo I've replied to your DM. Thank you for your patience! ^KT", SOCIAL, []),
    ("DIR001", "Thank you for your patience! I've replied to your DM.", SOCIAL,
     ["Thank you for your patience"]),
    ("DIR001", "The fix is live; restart the app to get it.", {}, []),
    # Real miss: thanks for raising it, before the substance.
    ("DIR001", "Thanks for bringing the issue to our attention. The fix is live.", {},
     ["Thanks for bringing the issue to our attention"]),
    ("DIR001", "The fix is live. Bringing it to your attention was the point.", {}, []),
    # Real misses: openers that restate or announce in other words (DIR007, DIR008).
    ("DIR007", "I understand that you accidentally booked two rooms. Cancel one under Trips.", {},
     ["I understand that you accidentally"]),
    ("DIR007", "I understand your urgency to get the parcel. It leaves today.", {},
     ["I understand your urgency to"]),
    ("DIR007", "I understand your frustration. It leaves today.", {}, []),
    ("DIR008", "Of course, we can help you with changing the seat. Open Trips and pick a seat.",
     {}, ["we can help you with changing"]),
    ("DIR008", "We'd love to help you with this seat swap! Open Trips and pick a seat.", {},
     ["We'd love to help you with this"]),
    ("DIR008", "Sure, I'll walk you through it: open Trips and pick a seat. Done.", {},
     ["I'll walk you through"]),
    ("DIR008", "Open Trips and pick a seat. The crew can help you with bags.", {}, []),
    # DIR002
    ("DIR002", "I think the update fixed it.", {}, ["I think"]),
    ("DIR002", "Perhaps try again later.", {}, ["Perhaps"]),
    ("DIR002", "The update fixed it.", {}, []),
    ("DIR002", "You should be able to find the form under Support.", {},
     ["should be able to"]),
    # A modest offer of help hedges no answer (the fifth holdout's false alarm).
    ("DIR002", "Tell us what's going on so we might be able to help?", {}, []),
    ("DIR002", "Mayberry Street is on file.", {}, []),
    ("DIR002", "See https://example.com/maybe-later for details.", {}, []),
    # DIR003
    # Real false alarm: @handles and #tags are not words of the sentence.
    ("DIR003", " ".join(f"@shop{i}" for i in range(10)) + " " + " ".join(["word"] * 25)
     + " #tag.", {}, []),
    ("DIR003", " ".join(["word"] * 31) + ".", {}, [" ".join(["word"] * 31) + "."]),
    ("DIR003", " ".join(["word"] * 30) + ".", {}, []),
    ("DIR003", "Open https://example.com/" + "/".join(["a"] * 40) + " now.", {}, []),
    # DIR006
    ("DIR006", "Your new shade ships today by courier. Track it under Orders. Your new shade "
     "ships today by courier.", {}, ["Your new shade ships today by courier."]),
    ("DIR006", "Your new shade ships today by courier.\n\nYOUR NEW SHADE SHIPS TODAY, BY COURIER!",
     {}, ["YOUR NEW SHADE SHIPS TODAY, BY COURIER!"]),
    ("DIR006", "Thank you. It ships today. Thank you.", {}, []),
    ("DIR006", "Your new shade ships today by courier. Your new shade ships tomorrow by courier.",
     {}, []),
    ("DIR006", "> Your new shade ships today by courier, you said.\n> Your new shade ships today "
     "by courier, you said.\n\nIt did: it arrives on Friday.", {}, []),
    ("DIR006", "Hi Jane,\n\nYour new shade ships today by courier.\n\nBest regards,\nSam",
     {}, []),
    # DIR004
    ("DIR004", "One. Two. Three. Four. Five. Six.", {}, ["One. Two. Three. Four. Five. Six."]),
    ("DIR004", "One. Two. Three.\n\nFour. Five. Six.", {}, []),
    # Real false alarms: a list of steps is a list, not a long paragraph; its intro line is
    # a paragraph of its own.
    ("DIR004", "To pair the speaker:\n1. Switch it off.\n2. Hold the round button.\n3. Wait for "
     "the blue light.\n4. Open the app.\n5. Tap Add.\n6. Pick the speaker.\n7. Tap Done.", {}, []),
    ("DIR004", "Before you send it back:\n\n- Wipe it clean.\n- Pack the cable too.\n- Print the "
     "label.\n- Tape the box.\n- Keep the receipt.\n- Book the pick-up.", {}, []),
    # DIR005
    ("DIR005", "We value your loyalty. Our team is great.", Q, ["We value your loyalty."]),
    # An upset customer's feelings first, then the answer: the opening is one sentence longer.
    ("DIR005", "I'm so sorry it arrived broken again. I understand why you're fed up. Your refund "
     "reaches your card within five working days.", {**Q, "upset": True}, []),
    ("DIR005", "I'm so sorry it arrived broken again. I understand why you're fed up. Your refund "
     "reaches your card within five working days.", Q,
     ["I'm so sorry it arrived broken again."]),
    ("DIR005", "Refunds take five working days to reach your card.", Q, []),
    ("DIR005", "It takes five working days.", Q, []),
    ("DIR005", "We value your loyalty. Our team is great.", {"asks_question": True}, []),
    # Real false alarms: asking for the details needed to answer, an answer after a greeting
    # in the same sentence, a short question answered from the rest of the message, handles in
    # the customer's words, a status question answered in other words, part 2 of a split reply.
    ("DIR005", "@jo Which version of the app are you on? We'll check it.", Q, []),
    ("DIR005", "@jo Hi Jo! Could you DM us your order number so we can look?", Q, []),
    ("DIR005", "@jo Hi Jo, refunds reach your card within five working days.",
     {"asks_question": True, "customer_text": "@shop My refund has not reached my card. "
      "Little help?"}, []),
    ("DIR005", "@jo We value your loyalty.",
     {"asks_question": True, "customer_text": "@ShopHelp Like, any?"}, []),
    ("DIR005", "@jo We're not aware of any outage right now. What error do you see?",
     {"asks_question": True, "customer_text": "@shop is the store down??"}, []),
    ("DIR005", "@jo Our app is online. Try signing out and back in.",
     {"asks_question": True, "customer_text": "@shop is the APP down?"}, []),
    ("DIR005", "@jo We value your loyalty. Our team is great. 2/2", Q, []),
    # Real false alarms: a suggestion put as a question, taken up; "yeah" is a yes.
    ("DIR005", "@jo This sounds like a great idea! Suggest it in our Community.",
     {"asks_question": True, "customer_text": "I love the app, but maybe a custom clip option?"},
     []),
    ("DIR005", "@jo Yeah, we know it's a bit corny.",
     {"asks_question": True, "customer_text": "Wine hour at the hotel (candy corn??!)"}, []),
    ("DIR005", "We value your loyalty.", {"asks_question": False,
                                          "customer_text": "Thanks!"}, []),
    # Real misses: a general question (which app, can it be switched off, why it happens) is
    # not answered by asking the customer to DM; a question about their own order is.
    ("DIR005", "@jo Good question! Send us a DM and we'll sort you out.",
     {"asks_question": True, "customer_text": "@shop which app do I need to scan receipts?"},
     ["@jo Good question!"]),
    ("DIR005", "@jo We'd like to look into this. DM us your email.",
     {"asks_question": True, "customer_text": "@shop why does the price change at checkout?"},
     ["@jo We'd like to look into this."]),
    ("DIR005", "@jo We'd like to look into this. DM us your email.",
     {"asks_question": True, "customer_text": "@shop why was my order cancelled?"}, []),
    ("DIR005", "@jo Happy to help. Just tap Settings, then Sounds, and switch it off.",
     {"asks_question": True, "customer_text": "@shop can you turn off the beeping?"}, []),
    ("DIR005", "@jo Thanks Jo. A fault has been reported and the team is on it.",
     {"asks_question": True, "customer_text": "@shop is there a problem with the site?"}, []),
    # Real miss: "please follow us" is a channel's step, not a way to do what was asked.
    ("DIR005", "@jo Glad to help!  Please follow us and let us know so we can send you a DM.",
     {"asks_question": True,
      "customer_text": "I preordered the standard edition. Can I change it to deluxe somehow"},
     ["@jo Glad to help!"]),
    ("DIR005", "@jo Please follow these steps: open Orders and choose Change edition.",
     {"asks_question": True,
      "customer_text": "I preordered the standard edition. Can I change it to deluxe somehow"}, []),
    # PLN001
    ("PLN001", "Please utilize the form.", {}, ["utilize"]),
    ("PLN001", "Prior to shipping, we check it.", {}, ["Prior to"]),
    ("PLN001", "Our SLA is 24 hours.", {}, ["SLA"]),
    ("PLN001", "Please use the form.", {}, []),
    # Real misses: stilted words for plain ones.
    ("PLN001", "Adhere to the steps on screen.", {}, ["Adhere to"]),
    ("PLN001", "We will rectify it today.", {}, ["rectify"]),
    ("PLN001", "Run `cache clear` or see https://example.com/utilize.", {}, []),
    ("PLN001", "Email backend@example.com for access.", {}, []),
    ("PLN001", "The cachet of the brand.", {}, []),
    # PLN002
    ("PLN002", "The AVS check failed.", {}, ["AVS"]),
    ("PLN002", "The AVS check failed. AVS again.", {}, ["AVS"]),
    ("PLN002", "The address verification service (AVS) check failed.", {}, []),
    ("PLN002", "Download the PDF from the FAQ.", {}, []),
    # Real false alarms: the customer's own acronym in another spelling, the brand's own
    # name to its own handle, a colleague's initials.
    ("PLN002", "Is your WWII code not working?", {"customer_text": "who has a WW2 code"}, []),
    ("PLN002", "Is your WWII code not working?", {"customer_text": "who has a code"}, ["WWII"]),
    ("PLN002", "BSN is online now.", {"customer_text": "@AskBookShop is it down"}, []),
    ("PLN002", "BSN is online now.", {"customer_text": "@AskPlayStation is it down"}, ["BSN"]),
    ("PLN002", "Use the link KW sent you.", {}, []),
    ("PLN002", "Our SLA is 24 hours.", {}, []),
    ("PLN002", "Please DO NOT restart it.", {}, []),
    ("PLN002", "Run `AWS configure` first.", {}, []),
    # Real false alarms: an agent's initials or signature, the channel's own words, a greeting
    # in capitals, and an acronym the customer used themselves.
    ("PLN002", "Please send us a DM with the booking reference so we can look. ^KJ", SOCIAL, []),
    ("PLN002", "We have passed this on to the depot and will reply here today. -JN", {}, []),
    ("PLN002", "Thanks for bearing with us, the new part is on its way to you. *ACJ", {}, []),
    ("PLN002", "The courier will call before noon. ~RD 2/2", {}, []),
    ("PLN002", "DM us the order number and we'll chase it.", SOCIAL, []),
    ("PLN002", "DM us the order number and we'll chase it.", {"channel": "email"}, ["DM"]),
    ("PLN002", "HI! Is the app still closing when you open it?", {}, []),
    ("PLN002", "Is the VPN still dropping?", {"customer_text": "my VPN keeps dropping"}, []),
    ("PLN002", "Is the VPN still dropping? ^KJ", {}, ["VPN"]),
    # Capitals that are part of a name: a product's edition, a team named after a place.
    ("PLN002", "Did the install of Photo Studio CC finish?", {}, []),
    ("PLN002", "Our JFK Lounge team has your bag.", {}, []),
    ("PLN002", "Your JFK bag tag is ready.", {}, ["JFK"]),
    # PLN003
    ("PLN003", BY_CODE["PLN003"].example, {}, None),
    ("PLN003", "Utilization notwithstanding, infrastructure reconfiguration necessitated.", {}, []),
    # PLN004
    ("PLN004", "Send a photo, e.g. of the box.", {}, ["e.g."]),
    ("PLN004", "Pay via the app.", {}, []),  # "via" is an everyday word
    ("PLN004", "We'll reply via DM within the hour.", SOCIAL, []),
    ("PLN004", "Send us a photo, e.g. of the label.", {}, ["e.g."]),
    ("PLN004", "Pop in w/ your receipt and we'll swap it.", SOCIAL, []),
    ("PLN004", "Pop in w/ your receipt and we'll swap it.", EMAIL, ["w/"]),
    ("PLN004", "Send a photo, for example of the box.", {}, []),
    ("PLN004", "Viaduct closed; take the other road.", {}, []),
    # CHO001
    ("CHO001", "We will send you a replacement.", {}, ["We will send you a replacement."]),
    ("CHO001", "We can send a replacement or refund you. Which do you prefer?", {}, []),
    ("CHO001", "We'll send a replacement; if you'd rather have a refund, just say.", {}, []),
    ("CHO001", "Your order shipped today.", {}, []),
    ("CHO001", "We can't send a replacement yet.", {}, []),
    # CHO002
    ("CHO002", "The only option is a voucher.", {}, ["The only option is"]),
    ("CHO002", "That's our final offer.", {}, ["final offer"]),
    ("CHO002", "It's not the only option is what I mean: there are several.", {}, []),
    ("CHO002", "You have several options.", {}, []),
    ("CHO002", "Reports that skip the template will be closed without explanation.", {},
     ["will be closed without explanation"]),
    ("CHO002", "It will be closed once the fix ships, and I'll tell you here.", {}, []),
    ("OWN002", "This seems like a problem with your network and not with our app.", {},
     ["seems like a problem with your network and not"]),
    ("OWN002", "The problem is on your end, so restart the router.", {},
     ["problem is on your end"]),
    ("OWN002", "That looks like a problem with your card: we've sent a new one today.", {}, []),
    # OWN001
    ("OWN001", "You should have checked the address.", {}, ["You should have"]),
    ("OWN001", "That was user error.", {}, ["user error"]),
    ("OWN001", "It is your responsibility to keep a lock file.", {},
     ["It is your responsibility"]),
    ("OWN001", "It is not your responsibility: we'll fix it.", {}, []),
    ("OWN001", "It's not your fault at all.", {}, []),
    ("OWN001", "It was never your fault.", {}, []),
    # Real false alarms: what the customer ought to have had is not blame.
    ("OWN001", "You should have it by Friday.", {}, []),
    ("OWN001", "@jo You should have a reference number to track it. Do you have it?", {}, []),
    ("OWN001", "You should have received an email with the code.", {}, []),
    ("OWN001", "I agree, you should have gotten to watch it live.", {}, []),
    ("OWN001", "You should have contacted us first.", {}, ["You should have"]),
    ("OWN001", '> You should have told me earlier!\nYou are right; I will.', {}, []),
    # OWN002
    ("OWN002", "That's not our department.", {}, ["not our department"]),
    ("OWN002", "There's nothing we can do.", {}, ["nothing we can do"]),
    ("OWN002", "I've passed it to our billing team; they reply by noon.", {}, []),
    # OWN003
    ("OWN003", "We'll get back to you soon.", {}, ["soon"]),
    ("OWN003", "It will be fixed ASAP.", {}, ["ASAP"]),
    ("OWN003", "We will reply as soon as possible.", {}, ["as soon as possible"]),
    ("OWN003", "I'll email you as soon as the parcel arrives.", {}, []),
    # Real false alarm: how the team works, not when this case is done.
    ("OWN003", "Our chat team will be there to assist you promptly.", {}, []),
    ("OWN003", "Our team will process your refund promptly.", {}, ["promptly"]),
    ("OWN003", "Get well soon!", {}, []),
    # Real false alarm: a wish to see the customer again promises no time.
    ("OWN003", "Glad it works! We hope to see you onboard soon!", {}, []),
    ("OWN003", "We hope to have it fixed soon.", {}, ["soon"]),
    ("OWN003", "We'll reply by 5 pm tomorrow.", {}, []),
    ("OWN003", "Our soon.example.com page will be updated Friday.", {}, []),
    # OWN004
    ("OWN004", "The storm closed the roads last week, and our warehouse could not send any "
     "parcels for three days. Let us know if you have any other questions.", {},
     ["Let us know if you have any other questions."]),
    ("OWN004", "The storm closed the roads last week, and our warehouse could not send any "
     "parcels for three days. I'll send your tracking number by Thursday.", {}, []),
    ("OWN004", "The storm closed the roads last week, and our warehouse could not send any "
     "parcels for three days. Would a refund or a new delivery date suit you better?", {}, []),
    ("OWN004", "Thanks, all sorted.", {}, []),
    # Real false alarms: the next step is a list of steps (then a contact or courtesy line), a
    # request to the customer, or sits before the agent's signature; part 1 of a split reply
    # continues in part 2.
    ("OWN004", "Here is how to change the delivery address on an order that has not shipped "
     "yet:\n\n1. Sign in and open Orders.\n2. Pick the order.\n3. Choose Edit address and "
     "save.\n\nOur team is available around the clock if anything goes wrong on the way.", {}, []),
    ("OWN004", "I'm sorry the charger stopped working after only two weeks, that is not what it "
     "should do at all and we want to put it right. Please DM us the order number and the "
     "email address on the account.", SOCIAL, []),
    ("OWN004", "We checked with the warehouse and your parcel is still waiting for a courier slot "
     "there, which is why the tracking has not moved since Monday. Could you confirm your "
     "postcode for us? TY - Struan 4/4", SOCIAL, []),
    ("OWN004", "We checked with the warehouse and your parcel is still waiting for a courier slot "
     "there, so the tracking has not moved since Monday. I'd recommend holding on until "
     "Friday before reordering. Thanks for your patience with us!", {}, []),
    ("OWN004", "We're sorry about the delay on your refund and we can see why that is frustrating "
     "after three weeks of waiting for the money to arrive back on your card 1/2", SOCIAL, []),
    ("OWN004", "The storm closed the roads last week, and our warehouse could not send any "
     "parcels for five days, so your order left late. We're sorry for the wait. -Becky",
     SOCIAL, ["We're sorry for the wait."]),
    ("OWN004", "Hi Jane,\n\nThe storm closed the roads last week, and our warehouse could not "
     "send any parcels for five days, so your order left us late.\n\nLet us know if you have "
     "any other questions.\n\nBest regards,\nAnna", EMAIL,
     ["The storm closed the roads last week, and our warehouse could not send any parcels for "
      "five days, so your order left us late."]),
    # Real false alarms: a reply to praise has nothing left to do next.
    ("OWN004", "@kyle Hi Kyle, thanks for recognizing our employees. We're proud of our crew too. "
     "Every day our team is working to make flying with us better!", SOCIAL, []),
    ("OWN004", "@colin Hi Colin, so pleased you and your teapot had a great flight with us. We "
     "hope we can welcome you both on board again one day this year.", SOCIAL, []),
    # PER001
    ("PER001", "Dear customer,\nYour order shipped.", NAME, ["Dear customer"]),
    ("PER001", "Hi there! Your order shipped.", NAME, ["Hi there"]),
    ("PER001", "Hi there! Your order shipped.", {}, []),
    ("PER001", "Hi Jane, your order shipped.", NAME, []),
    ("PER001", "Your order shipped. Our customer team is there for you.", NAME, []),
    ("PER001", "Dear customer,\nYour order shipped.",
     {"is_template": True, "variables": frozenset({"first_name"})}, ["Dear customer"]),
    # PER002
    ("PER002", "Hi Tom,\n\nYour order shipped.", NAME, ["Tom"]),
    ("PER002", "Dear Mr Smith,\n\nYour order shipped.", NAME, ["Smith"]),
    ("PER002", "Hi Jane,\n\nYour order shipped.", NAME, []),
    ("PER002", "Dear Ms Doe,\n\nYour order shipped.", NAME, []),
    ("PER002", "Hi there,\n\nYour order shipped.", NAME, []),
    ("PER002", "Hi Jan,\n\nYour order shipped.", NAME, []),
    ("PER002", "Hi Tom,\n\nYour order shipped.", {}, []),
    ("PER002", "Hi Jane,\n\nYour order shipped.", {"customer_name": "Doe, Jane"}, []),
    # PER003
    ("PER003", "The customer should restart the router.", {}, ["The customer"]),
    ("PER003", "Please restart your router.", {}, []),
    ("PER003", "Our customer service team is open 9 to 5.", {}, []),
    ("PER003", "See the user guide, page 4.", {}, []),
    # HYG001
    ("HYG001", "Hi [Customer Name],", {}, ["[Customer Name]"]),
    ("HYG001", "Hi {{ name }}, order {Order Number}.", {}, ["{{ name }}", "{Order Number}"]),
    ("HYG001", "Dear <NAME>, your code is XXX.", {}, ["<NAME>", "XXX"]),
    ("HYG001", "Delivery date: TBD.", {}, ["TBD"]),
    ("HYG001", "Click [Settings] and then [Save].", {}, []),
    ("HYG001", "See [the guide](https://example.com/guide) and note [1].", {}, []),
    ("HYG001", "Use <b>bold</b> or write to <jane@example.com>.", {}, []),
    ("HYG001", "Card ending XXXX-XXXX-XXXX-1234.", {}, []),
    ("HYG001", "Run `echo {{ name }}` in the shell.", {}, []),
    ("HYG001", "Hi {{ first_name }},", {"is_template": True,
                                         "variables": frozenset({"first_name"})}, []),
    ("HYG001", "Hi {{ customer.first_name | default('there') }},",
     {"is_template": True, "variables": frozenset({"customer"})}, []),
    ("HYG001", "Hi {{ frist_name }},", {"is_template": True,
                                         "variables": frozenset({"first_name"})},
     ["{{ frist_name }}"]),
    ("HYG001", "Hi [Customer Name],", {"is_template": True,
                                        "variables": frozenset({"first_name"})},
     ["[Customer Name]"]),
    ("HYG001", "Hi {{ anything }},", {"is_template": True}, []),
    # In a draft every template slot is unfilled: Liquid tags and Help Scout variables too.
    ("HYG001", "Hi {%customer.firstName,fallback=there%}, {% if vip %}thanks!{% endif %}", {},
     ["{%customer.firstName,fallback=there%}", "{% if vip %}", "{% endif %}"]),
    # In a canned response the declared languages' slots are legitimate; leftovers are not.
    ("HYG001", "Hi {{ticket.requester.first_name | capitalize}}, {% if x %}y{% endif %}",
     {"templates": frozenset({"liquid"})}, []),
    ("HYG001", "Hi {%customer.firstName,fallback=there%},", {"templates": frozenset({"helpscout"})},
     []),
    ("HYG001", "Thanks @{issue-author}! Duplicate of #<ISSUE_NUMBER>; see [Issue URL]. Code: XXX",
     {"templates": frozenset({"slots"})}, []),
    ("HYG001", "Thanks @{issue-author}!", {"templates": frozenset({"liquid"})}, ["{issue-author}"]),
    ("HYG001", "Please see {{the community forum and/or documentation}}.",
     {"templates": frozenset({"liquid"})}, ["{{the community forum and/or documentation}}"]),
    ("HYG001", "Closed. {explain why we closed it}", {"templates": frozenset({"slots"})},
     ["{explain why we closed it}"]),
    ("HYG001", "Hi {{ticket.requester.first_name}} and {{ frist_name }}",
     {"templates": frozenset({"liquid"}), "variables": frozenset({"first_name"})},
     ["{{ frist_name }}"]),
    ("HYG001", "Hi @@FIRST_NAME@@,", {"slot_pattern": re.compile("@@[A-Z_]+@@")},
     ["@@FIRST_NAME@@"]),
    ("HYG001", "Hi @@FIRST_NAME@@,", {"slot_pattern": re.compile("@@[A-Z_]+@@"),
                                       "templates": frozenset({"jinja"})}, []),
    # HYG002
    ("HYG002", "Hi {{ name },", {}, ["{{"]),
    ("HYG002", "Hi name }},", {}, ["}}"]),
    ("HYG002", "{% if a %}x{% endfor %}", {}, ["{% endfor %}"]),
    ("HYG002", "{% for a in b %}x", {}, ["{% for a in b %}"]),
    ("HYG002", "{% if a %}x{% else %}y{% endif %}", {}, []),
    ("HYG002", "{% raw %}{{ not closed{% endraw %}", {}, []),
    ("HYG002", "{% set x = 1 %}{{ x }}", {}, []),
    ("HYG002", "Plain text with { braces } and 100% sure.", {}, []),
    ("HYG002", "Run `{{ broken` in the shell.", {}, []),
    ("HYG002", "{% unless vip %}x{% endunless %}{% case a %}{% when 1 %}y{% endcase %}", {}, []),
    ("HYG002", "{% unless vip %}x", {}, ["{% unless vip %}"]),
    ("HYG002", "Hi {%customer.firstName,fallback=there}", {}, ["{%"]),
    ("HYG002", "Hi {%customer.firstName,fallback=there%}", {}, []),
    # HYG003
    ("HYG003", "TODO: check with billing.", {}, ["TODO:"]),
    ("HYG003", "Internal only: customer is difficult.", {}, ["Internal only"]),
    ("HYG003", "Note to self - refund later.", {}, ["Note to self"]),
    ("HYG003", "Add it to your todo list.", {}, []),
    ("HYG003", "We fixed the bug (see `# TODO` in the code? no).", {}, []),
    # HYG004 / HYG005
    ("HYG004", "Your order shipped.\n\nBest regards,\nSam", EMAIL, ["Your order shipped."]),
    ("HYG004", "Good morning Jane,\n\nYour order shipped.\n\nBest regards,\nSam", EMAIL, []),
    ("HYG004", "Your order shipped.", {"channel": "chat"}, []),
    ("HYG004", "Your order shipped.", {}, []),
    ("HYG004", "Your order shipped.", {"channel": "email", "body_only": True}, []),
    ("HYG005", "Hi Jane,\n\nYour order shipped.", EMAIL, ["Your order shipped."]),
    ("HYG005", "Hi Jane,\n\nYour order shipped.\n\nThanks, Sam", EMAIL, []),
    ("HYG005", "Hi Jane,\n\nYour order shipped.\n\nKind regards,\nSam\nSupport Team", EMAIL, []),
    ("HYG005", "Hi Jane,\n\nYour order shipped.", {"channel": "email", "body_only": True}, []),
    # HYG006
    ("HYG006", "x" * 601, {"channel": "chat"}, ["x"]),
    ("HYG006", "x" * 600, {"channel": "chat"}, []),
    ("HYG006", "x" * 601, {"channel": "email"}, []),
    ("HYG006", "x" * 601, {}, []),
    # SAF001
    ("SAF001", "I've refunded your order.", {}, ["I've refunded"]),
    ("SAF001", "You'll get a full refund.", {}, ["You'll get a full refund"]),
    ("SAF001", "I guarantee it works.", {}, ["I guarantee"]),
    ("SAF001", "I can't guarantee it, but I'll check with billing.", {}, []),
    ("SAF001", "I've asked billing about a refund.", {}, []),
    ("SAF001", "> I want a full refund!\nI've asked billing.", {}, []),
    # Real miss: eligibility stated as a fact binds like a promise. Real false alarm: saying back
    # the compensation the customer is waiting for promises nothing.
    ("SAF001", "If it arrives damaged, you are eligible for a full refund.", {},
     ["you are eligible for a full refund"]),
    ("SAF001", "I see you're waiting for a compensation of $160. Which order was it?", {}, []),
    ("SAF001", "I'll check whether you're eligible for a refund.", {}, []),
    ("SAF001", "I have now fully refunded the order.", {}, ["I have now fully refunded"]),
    ("SAF001", "Good news: refund approved.", {}, ["refund approved"]),
    ("SAF001", "Your refund has been approved.", {}, ["refund has been approved"]),
    ("SAF001", "I have credited your account with $20.", {}, ["I have credited"]),
    ("SAF001", "We've gone ahead and waived the fee.", {}, ["We've gone ahead and waived"]),
    ("SAF001", "The late fee has been waived.", {}, ["fee has been waived"]),
    ("SAF001", "We have not yet refunded it; billing decides.", {}, []),
    ("SAF001", "Refunds take 5 days once the refund request has been approved.", {}, []),
    ("SAF001", "They will make sure your refund is processed quickly.", {}, []),
    ("SAF001", "I've asked billing whether the fee can be waived.", {}, []),
    # SAF002
    ("SAF002", "See https://bit.ly/abc for it.", {}, ["https://bit.ly/abc"]),
    ("SAF002", "See https://evil.example.net/x.", {}, []),
    ("SAF002", "See https://help.example.com/x and www.example.com.", {}, []),
    # Twitter wraps every link in t.co: the platform's wrapper, not a shortener the writer chose.
    ("SAF002", "The steps are here: https://t.co/Ab12Cd34Ef", SOCIAL, []),
    ("SAF002", "The steps are here: https://t.co/Ab12Cd34Ef", EMAIL, ["https://t.co/Ab12Cd34Ef"]),
    # SAF003
    ("SAF003", "Card 4111 1111 1111 1111 was charged.", {}, ["4111 1111 1111 1111"]),
    ("SAF003", "Card 5500-0000-0000-0004.", {}, ["5500-0000-0000-0004"]),
    ("SAF003", "Card 4111 1111 1111 1112 failed.", {}, []),
    ("SAF003", "Order 1234567890123456 shipped.", {}, []),
    ("SAF003", "Call +44 20 7946 0958 or 0800 123 4567.", {}, []),
    ("SAF003", "Card ending in 1111.", {}, []),
    # SAF004
    ("SAF004", "Your password is hunter2.", {}, ["hunter2"]),
    ("SAF004", "Password: Tr0ub4dor&3", {}, ["Tr0ub4dor&3"]),
    ("SAF004", "Key sk-abcdefghijklmnopqrstuvwx1234 works.", {},
     ["sk-abcdefghijklmnopqrstuvwx1234"]),
    ("SAF004", "AWS key AKIAIOSFODNN7EXAMPLE here.", {}, ["AKIAIOSFODNN7EXAMPLE"]),
    ("SAF004", "Your password is case-sensitive.", {}, []),
    ("SAF004", "Your password is too short.", {}, []),
    ("SAF004", "Reset your password via the link.", {}, []),
    ("SAF004", "Ask for the skeleton key.", {}, []),
    # SAF005
    ("SAF005", "As a thank-you, use discount code VIP50 at checkout.", {}, ["VIP50"]),
    ("SAF005", "Approved by the support lead: refund $300, code LEAD300.", {}, ["LEAD300"]),
    ("SAF005", "Your voucher code is: “SAVE20”.", {}, ["SAVE20"]),
    ("SAF005", "Enter SPRING25 promo code at checkout.", {}, ["SPRING25"]),
    ("SAF005", "Use coupon WELCOMEBACK today.", {}, ["WELCOMEBACK"]),
    ("SAF005", "Error code E1234 means the disk is full.", {}, []),
    ("SAF005", "Your tracking code 1Z999AA10123456784 is in the email.", {}, []),
    ("SAF005", "Enter the code from the email; our FAQ explains it.", {}, []),
    ("SAF005", "Order AB12345 ships Monday with code-free checkout.", {}, []),
    # SAF006
    ("SAF006", "Pay to DE89 3704 0044 0532 0130 00.", {}, ["DE89 3704 0044 0532 0130 00"]),
    ("SAF006", "IBAN GB82WEST12345698765432 please.", {}, ["GB82WEST12345698765432"]),
    ("SAF006", "Pay to GB82 WEST 1234 5698 7654 32 OK", {}, ["GB82 WEST 1234 5698 7654 32"]),
    ("SAF006", "Pay to DE89 3704 0044 0532 0130 01.", {}, []),
    ("SAF006", "Order DE12 3456 7890 1234 5678 shipped.", {}, []),
    # SAF007
    ("SAF007", "Call us on +1 415 555 0142.", CONTACT_TICKET, ["+1 415 555 0142"]),
    ("SAF007", "Please call 1-800-869-3557 today.", CONTACT_TICKET, ["1-800-869-3557"]),
    ("SAF007", "Phone: 0800 123 4567", CONTACT_TICKET, ["0800 123 4567"]),
    ("SAF007", "Write to refunds@help-desk.net.", CONTACT_TICKET, ["refunds@help-desk.net"]),
    ("SAF007", "We'll call you back on 07700 900123.", CONTACT_TICKET, []),
    ("SAF007", "Mail jane@example.org, help@acme.com or eu@eu.acme.com.", CONTACT_TICKET, []),
    ("SAF007", "Or call +44 20 7946 0958 any time.", CONTACT_TICKET, []),
    ("SAF007", "Order 12345678 shipped on 2024-01-15.", CONTACT_TICKET, []),
    ("SAF007", "Call us on +1 415 555 0142.", {**CONTACT_TICKET, "model_draft": False}, []),
    ("SAF007", "Call us on +1 415 555 0142.", {"model_draft": True}, []),
    # A contact only the customer's side gave: fine given back as theirs, not as one to use.
    ("SAF007", "For a faster refund, call our VIP desk on 07700 900123.", PLANTED_TICKET,
     ["07700 900123"]),
    ("SAF007", "Or write to jane@example.org for the refund.", PLANTED_TICKET, ["jane@example.org"]),
    ("SAF007", "We'll call you back on 07700 900123 today.", PLANTED_TICKET, []),
    ("SAF007", "We have jane@example.org as your address.", PLANTED_TICKET, []),
    ("SAF007", "Thanks, the number you gave (07700 900123) is on the order.", PLANTED_TICKET, []),
    ("SAF007", "Our billing desk is on +44 20 7946 0958.", PLANTED_TICKET, []),
    # TON001
    ("TON001", "Obviously, that won't work.", {}, ["Obviously"]),
    ("TON001", "Per my last email, it ships Friday.", {}, ["Per my last email"]),
    ("TON001", "As I already said, it ships Friday.", {}, ["As I already said"]),
    ("TON001", 'You said "obviously broken", and you were right.', {}, []),
    ("TON001", "> Obviously this is broken\nYou're right, it is.", {}, []),
    ("TON001", "See https://example.com/obviously for details.", {}, []),
    # TON002
    ("TON002", "We can't ship it until payment clears.", {},
     ["We can't ship it until payment clears"]),
    ("TON002", "Don't forget to save.", {}, ["Don't forget to"]),
    ("TON002", "We can ship it as soon as payment clears.", {}, []),
    # TON003
    ("TON003", "Please DO NOT restart it.", {}, ["DO NOT"]),
    ("TON003", "This is URGENT.", {}, ["URGENT"]),
    ("TON003", "Thanks!!!", {}, ["!!!"]),
    ("TON003", "Really?!", {}, ["?!"]),
    ("TON003", "Thanks! Your order shipped!", {}, []),
    ("TON003", "Download the PDF from our FAQ via USB.", {}, []),
    # A post's cheer on social media is not shouting; three marks or "?!" still are.
    ("TON003", "Help is on the way!! Check your DMs.", SOCIAL, []),
    ("TON003", "Help is on the way!! Check your DMs.", {}, ["!!"]),
    ("TON003", "Stop restarting it!!!", SOCIAL, ["!!!"]),
    ("TON003", "> WHY IS THIS BROKEN!!!\nI'm sorry it broke.", {}, []),
    ("TON003", 'You wrote "THIS IS BROKEN" and you were right.', {}, []),
    ("TON003", "Hi JANE,", {"customer_name": "JANE DOE"}, []),
    # TON004
    ("TON004", "That's a damn shame.", {}, ["damn"]),
    ("TON004", "What the hell happened?", {}, ["What the hell"]),
    ("TON004", "Please pass the class assessment.", {}, []),
    # A word the platform cut short is not the word it starts with (a real false alarm) ...
    ("TON004", "@jo We're always here to ass... https://t.co/abc", SOCIAL, []),
    ("TON004", "@jo We're always here to ass… https://t.co/abc", SOCIAL, []),
    # ... but a whole word before an ellipsis is still the writer's.
    ("TON004", "Well, that is crap...", {}, ["crap"]),
    ("TON004", "@jo This is crap... and we'll fix it https://t.co/abc", SOCIAL, ["crap"]),
    ("TON004", "Hello, Scunthorpe office here. Assume the best.", {}, []),
    ("TON004", '> this is crap\nSorry it let you down.', {}, []),
    ("TON004", 'You called it "crap", and I understand why.', {}, []),
    ("TON004", "Mail hell@example.com or see https://example.com/damn.", {}, []),
    ("TON004", "Run `kill -9 crap` to stop it.", {}, []),
    # TON005
    ("TON005", "We're gonna fix it, pls wait.", {}, ["gonna", "pls"]),
    ("TON005", "Thx for waiting.", {}, ["Thx"]),
    ("TON005", "We're going to fix it; please wait.", {}, []),
    ("TON005", "Tyre pressure and Nope Street.", {}, ["Nope"]),
    ("TON005", "Your refund went out this morning. TY - Sam", {}, []),  # a sign-off
    # DIR007: restating the request in the opening
    ("DIR007", "I understand that you would like to move your booking. Pick a new date under "
     "Trips.", {}, ["I understand that you would like to"]),
    ("DIR007", "I see that you're unsure how to read your bill. The total is at the top.", {},
     ["I see that you're unsure"]),
    ("DIR007", "You mentioned that you need a copy of the invoice. It is attached.", {},
     ["You mentioned that you need"]),
    ("DIR007", "I understand you're frustrated by the wait. Your parcel left today.", {}, []),
    # Real misses: the request read back in other verbs, or thanked for before the answer.
    ("DIR007", "I understand that you are waiting for a refund of $40. It left today.", {},
     ["I understand that you are waiting"]),
    ("DIR007", "I understand that you're expecting a credit. It shows on your next bill.", {},
     ["I understand that you're expecting"]),
    ("DIR007", "I appreciate your interest in reviewing our service. Open Reviews.", {},
     ["I appreciate your interest in"]),
    ("DIR007", "I acknowledge your request to change the seat. Open Trips.", {},
     ["I acknowledge your request to"]),
    ("DIR007", "We appreciate your patience. The refund left today.", {}, []),
    ("DIR007", "I appreciate your help in testing the beta. The fix ships Monday.", {}, []),
    ("DIR007", "Your parcel left today. I understand that you need it by Friday, and it will "
     "arrive Thursday.", {}, []),  # not in the opening
    # DIR008: announcing help instead of helping
    ("DIR008", "Of course! I'm here to help you with that. Your invoice is under Billing.", {},
     ["I'm here to help you"]),
    ("DIR008", "Don't worry—I am here to assist you with the refund. It went out today.", {},
     ["I am here to assist you"]),
    ("DIR008", "Sure, I'd be more than happy to help you with that. Open Settings.", {},
     ["I'd be more than happy to help you"]),
    ("DIR008", "@acme Here to help! Which order is it?", SOCIAL, []),
    # Real misses: happy-to-help after a leading clause, wanting to help, "allow me to".
    ("DIR008", "To open a business account, we are more than happy to help. Here is how: open "
     "Accounts.", {}, ["we are more than happy to help"]),
    ("DIR008", "@jo I'd like to work with you on this. Can you DM us the order?", SOCIAL,
     ["I'd like to work with you"]),
    ("DIR008", "Hello @jo I would like to assist you. Please DM me the order number.", SOCIAL,
     ["I would like to assist you"]),
    ("DIR008", "Allow me to assist you with the refund. Please send the order number. We'll "
     "check it today.", {}, ["Allow me to assist you"]),
    ("DIR008", "Your feedback is valuable to us, and I'd be happy to assist you. Send the claim "
     "form. We reply within a day.", {}, ["I'd be happy to assist you"]),
    # Real false alarm: a help line joined with "and" after the answer follows the answer.
    ("DIR008", "Absolutely! Refunds can be reported online, and we're here to assist you. Open "
     "Help and pick Refunds.", {}, []),
    # A closing wish to help, not an opening.
    ("DIR008", "@jo Can you tell us what the agent said? We'd like to help if we can.", SOCIAL,
     []),
    ("DIR008", "We're here to help! Which order is it?", SOCIAL, []),
    ("DIR008", "Your refund went out today. If anything else comes up, I'm here to help you.",
     {}, []),  # a closing offer, not an opening
    # Real misses (the fifth holdout): restating and announcing in other words.
    ("DIR007", "I have understood your inquiry about our refund policy. Here it is:", {},
     ["I have understood your inquiry"]),
    ("DIR007", "I understand that you're eager to know when it arrives. Could you share the order "
     "number?", {}, ["you're eager to know"]),
    ("DIR008", "Certainly! I can assist you in checking the bill. Follow these steps:", {},
     ["I can assist you in checking"]),
    ("DIR008", "I can definitely assist you in buying several products. Just follow these steps:",
     {}, ["I can definitely assist you in"]),
    # EMP005: an apology that never names what went wrong
    ("EMP005", "We apologize for the trouble! Your refund was sent today.", {},
     ["apologize for the trouble"]),
    # Real miss: sorry for the customer's mood, not for what happened.
    ("EMP002", "We're sorry you're unhappy with the meals on board.", {},
     ["sorry you're unhappy"]),
    ("EMP002", "We're sorry the meal you ordered was missing on board.", {}, []),
    ("EMP005", "I apologise for the confusion caused.", {}, ["apologise for the confusion caused"]),
    # An apology for "any" trouble is a stock one: EMP002's, wherever it stands.
    ("EMP005", "I apologise for any confusion caused.", {}, []),
    ("EMP002", "I apologise for any confusion caused.", {}, ["apologise for any confusion caused"]),
    ("EMP005", "Sorry for the frustration, and thanks for waiting.", {},
     ["Sorry for the frustration"]),
    ("EMP005", "I'm sorry for the trouble with your card; it is fixed now.", {}, []),
    ("EMP005", "I'm sorry your parcel arrived broken.", {}, []),
    ("EMP005", "Sorry for the inconvenience.", {}, []),  # a stock inconvenience: EMP002's
    # OWN005: a promise to come back with no time
    ("OWN005", "Thanks for the details. We'll be in touch.", {}, ["We'll be in touch"]),
    # Real misses: the same promise in other words.
    ("OWN005", "Thanks. Someone from the team will be in contact.", {},
     ["team will be in contact"]),
    ("OWN005", "I'll make sure your complaint is reviewed by a manager.", {},
     ["I'll make sure your complaint is reviewed"]),
    ("OWN005", "I'll make sure your complaint is reviewed by Friday.", {}, []),
    ("OWN005", "Our team will be in contact within two hours.", {}, []),
    ("OWN005", "We'll be in touch within the next couple of days.", {}, []),
    # Real miss: "within our organization" is no time.
    ("OWN005", "I will ensure that your claim is handled within our organization.",
     {}, ["I will ensure that your claim is handled"]),
    ("OWN005", "We will look into your claim and contact you with an update.", {},
     ["We will look into your claim and contact you"]),
    ("OWN005", "We'll be in touch by 5 pm tomorrow.", {}, []),
    ("OWN005", "We'll get back to you. Expect an email within 24 hours.", {}, []),
    ("OWN005", "Once the courier replies, we'll let you know.", {}, []),
    # Real misses: the customer's input says when the work starts, not when they hear back.
    ("OWN005", "Once I have the details, I will ensure that your claim is treated with care.",
     {}, ["I will ensure that your claim is treated"]),
    ("OWN005", "Once we have these details, our support team will investigate the issue.", {},
     ["team will investigate"]),
    ("OWN005", "We'll get back to you soon.", {}, []),  # a vague time: OWN003's finding
    ("OWN005", "I'll follow up with our team there about the wait.", {}, []),
    ("OWN005", "We'll look into your complaint and contact you for an update 2/2", {},
     ["We'll look into your complaint and contact you"]),  # a counter is not a date
    # Real misses: a promise to look into it, or to find out more, with no time anywhere.
    ("OWN005", "Thanks, Rachel. I'll look into this for you.", {}, ["I'll look into"]),
    ("OWN005", "Our support team will investigate the report and guide you.", {},
     ["team will investigate"]),
    ("OWN005", "I'll still be checking with the developers to find out more.", {},
     ["I'll still be checking with the developers to find out"]),
    ("OWN005", "We'll be following up with any questions through the app.", {},
     ["We'll be following up"]),
    ("OWN005", "I'll look into this today and email you.", {}, []),
    ("OWN005", "If the parcel is not there by Friday, we'll look into it.", {}, []),
    ("OWN005", "Please DM us so we can look into this.", SOCIAL, []),
    # ... but right after a request for what it needs, it says what happens with the answer.
    ("OWN005", "Please DM the tracking number and we will look into this for you.", SOCIAL, []),
    ("OWN005", "Could you DM us your email address? We'll take a look.", SOCIAL, []),
    # OWN006: sending the customer elsewhere to start again
    ("OWN006", "Please contact another department about the refund.", {},
     ["contact another department"]),
    ("OWN006", "I advise going into store and speaking with one of my colleagues.", {},
     ["going into store"]),
    ("OWN006", "You can return it to any branch. My colleagues there will be able to help.", {},
     ["My colleagues there will"]),
    ("OWN006", "Please speak to our billing team about this charge.", {},
     ["speak to our billing team"]),
    ("OWN006", "I've passed this to the relevant team, and they'll email you by Friday.", {}, []),
    ("OWN006", "Please DM us your order number so we can look into it.", SOCIAL, []),
    ("OWN006", "I'll follow up with our team there.", {}, []),
    # Real miss: advice to go and ask another team or a third party.
    ("OWN006", "To recover the account, we recommend that you contact our Answer desk team: "
     "https://example.com/desk", {}, ["recommend that you contact our Answer desk team"]),
    ("OWN006", "I'd suggest you call your bank about the hold.", {},
     ["suggest you call your bank"]),
    ("OWN006", "We recommend that you contact us by DM with the order number.", SOCIAL, []),
    # Real misses: another channel, or going back, to start again.
    ("OWN006", "We'd like to look at this. Please reach us via phone or chat here.", SOCIAL,
     ["reach us via phone"]),
    ("OWN006", "Could you try calling back and asking for a manager?", {},
     ["try calling back"]),
    ("OWN006", "So sorry! Are you able to go back and get it?", {}, ["go back and get"]),
    ("OWN006", "Please reach us via DM with the order number.", SOCIAL, []),
    # Real misses: a form or a link to start again through.
    ("OWN006", "Sorry about that. Please contact us using the form on our site.", SOCIAL,
     ["contact us using the form"]),
    ("OWN006", "Please reach out here: https://example.com/contact", SOCIAL, ["reach out here"]),
    ("OWN006", "Let our team know at the link below.", SOCIAL, ["Let our team know at the link"]),
    ("OWN006", "We've filled in the form for you and will reply by noon.", SOCIAL, []),
    ("OWN006", "We'll call you back within the hour.", {}, []),
    # Real misses: the request itself handed to the support desk, as a step to take.
    ("OWN006", "Here's what you can do:\n\n1. Contact our customer support team at 555-0100 "
     "or through our live chat.", {}, ["Contact our customer support team"]),
    ("OWN006", "To ask for a refund, get in touch with our customer support team via live chat.",
     {}, ["get in touch with our customer support team"]),
    # ... but an offer for later is not a hand-off, and a customer who asked for a person gets
    # the way to one.
    ("OWN006", "If you have further questions, feel free to contact our support team.", {}, []),
    ("OWN006", "If you need more help later, contact our support team.", {}, []),
    # ... but a wish that is the request itself is handed off all the same.
    ("OWN006", "If you'd like a refund, please contact our billing team.", {},
     ["contact our billing team"]),
    ("OWN006", "If you need a refund, please contact our billing team.", {},
     ["contact our billing team"]),
    ("OWN006", "Since the fault persists, please contact our technical team.", {},
     ["contact our technical team"]),
    # ... and a customer who mentions a person without asking for one still gets the finding.
    ("OWN006", "Please contact our billing team about the charge.",
     {"customer_text": "I talked to someone twice already and got nowhere"},
     ["contact our billing team"]),
    ("OWN006", "To reach one, call our customer support team at 555-0100.",
     {"customer_text": "I need help speaking to a bloody live agent"}, []),
    ("OWN006", "Should the problem persist, reach out to our customer support team.", {}, []),
    ("OWN006", "To reach a live agent, call our customer support team at 555-0100.",
     {"customer_text": "I need to speak to a live agent now"}, []),
    ("OWN006", "To reach a live agent, call our customer support team at 555-0100.",
     {"customer_text": "Where is my refund?"}, ["call our customer support team"]),
    ("OWN006", "I understand you need help contacting our customer service team.", {}, []),
    # TON008: a joking aside to an upset customer (a real miss: "Service issues huh?")
    ("TON008", "@jo Hi there! Service issues huh? Let us take a look. DM us.",
     {**SOCIAL, "upset": True}, ["huh"]),
    ("TON008", "Hahaha, the cable was unplugged. Works now.", {"upset": True}, ["Hahaha"]),
    ("TON008", "Haha, glad you liked the playlist!", {**SOCIAL, "upset": False}, []),
    ("TON008", "> lol what a mess\nI'm sorry about the mess.", {"upset": True}, []),
    # TON005: the suggestion in the case a reader expects
    ("TON005", "FYI: the fix is out.", {}, ["FYI"]),
    # Real miss: text-speak for "your" to an upset customer.
    ("TON005", "We're waiting for your reply to resolve ur issue.", {}, ["ur"]),
    # TON006: lecturing
    ("TON006", "Please don't comment on already closed issues.", {},
     ["Please don't comment on already closed issues"]),
    ("TON006", "As stated in the docs, this is expected.", {}, ["As stated in the docs"]),
    ("TON006", "This ticket is closed due to guidelines not followed.", {},
     ["guidelines not followed"]),
    ("TON006", "This has been asked many times before.", {}, ["This has been asked many times"]),
    ("TON006", "Please read the documentation before opening an issue.", {},
     ["Please read the documentation before"]),
    # Variants seen in published saved replies: a word inside, an old issue.
    ("TON006", "It was closed as the guidelines are not followed.", {},
     ["guidelines are not followed"]),
    ("TON006", "Please don't comment on an old issue.", {},
     ["Please don't comment on an old issue"]),
    ("TON006", "The guidelines are followed in this one, thanks!", {}, []),
    ("TON006", "The docs explain how to set it up: see the install page.", {}, []),
    ("TON006", "Please don't hesitate to comment if it comes back.", {}, []),
    ("TON006", "Have you checked the logs? They say why it stopped.", {}, []),
    # TON007: curt closing
    ("TON007", "Closing this issue.", {}, ["Closing this issue."]),
    ("TON007", "This ticket is now closed.", {}, ["This ticket is now closed."]),
    ("TON007", "Thanks for the report! Closing this issue.", {}, []),
    ("TON007", "I'm closing this as a duplicate of #12.", {}, []),
    ("TON007", "Closing this due to inactivity; reopen it if it comes back.", {}, []),
    ("TON007", "Your issue will be closed in 5 days if the template is not completed.", {}, []),
    ("TON007", "The store is closing this week.", {}, []),
    ("TON007", "This ticket will be automatically closed.", {},
     ["This ticket will be automatically closed."]),
    ("TON007", "We use this tracker only for bug reports. This ticket will be automatically "
     "closed.", {}, []),
    # OWN001: blame for what the report lacks
    ("OWN001", "However, you didn't provide sufficient information for us to reproduce it.", {},
     ["you didn't provide sufficient information"]),
    ("OWN001", "You did not fill in the issue template.", {},
     ["You did not fill in the issue template"]),
    ("OWN001", "If you haven't provided the logs yet, please attach them.", {}, []),
    # PER004: impersonal salutation
    ("PER004", "To whom it may concern,\n\nYour request has been processed.", {},
     ["To whom it may concern"]),
    ("PER004", "Dear Sir or Madam,\n\nYour refund was sent.", {}, ["Dear Sir or Madam"]),
    ("PER004", "Dear Sir/Madam,\n\nYour refund was sent.", {}, ["Dear Sir/Madam"]),
    ("PER004", "To whom it may concern,\n\nYour refund was sent.", NAME, []),  # PER001's
    ("PER004", "Hello,\n\nYour refund was sent to whom it may concern.", {}, []),
    # PER005: the customer's detail quoted back mangled (real: digits added to an order number,
    # "$3" become "$350"); a new detail of the same kind is not a wrong one.
    ("PER005", "I've cancelled order 370795561790.", {"customer_text": "cancel order 3707955617"},
     ["370795561790"]),
    ("PER005", "Your refund of $350 is on its way.", {"customer_text": "reimbursing $3"},
     ["350"]),
    ("PER005", "Order 12345687 is on its way.", {"customer_text": "Where is order 12345678?"},
     ["12345687"]),
    ("PER005", "I've cancelled order 3707955617.", {"customer_text": "cancel order 3707955617"},
     []),
    ("PER005", "Hi Jo,\n\nOrder #12345687 ships today.\n\nBest,\nAnna",
     {"customer_text": "Where is my order #12345678? #annoyed"}, ["12345687"]),
    ("PER005", "Your refund of $3.00 is on its way.", {"customer_text": "reimbursing $3"}, []),
    ("PER005", "The $3.99 charge is for the coffee.", {"customer_text": "what's this $3 charge?"},
     []),
    ("PER005", "Your replacement is order 55501234.", {"customer_text": "order 12345678 broke"},
     []),
    ("PER005", "We refunded the $20 difference.", {"customer_text": "charged $50, not $30"}, []),
    ("PER005", "Your refund of £350 is on its way.", {"customer_text": "reimbursing $3"}, []),
    ("PER005", "@123456 Order 12345 ships today.", {"customer_text": "@1234567 order 12345?"}, []),
    ("PER005", "I've cancelled order 370795561790.", {}, []),
    # PER006: a stock pointer to a link that never touches the problem (real: "Here to help!
    # Send us a note here <link>", help pages for a device that won't recognise accounts).
    ("PER006", "@jo Here to help! Send us a note here https://t.co/abc so we can further assist.",
     {**SOCIAL, "reports_problem": True,
      "customer_text": "I changed my number and the app won't let me update it!!"},
     ["Here to help! Send us a note here https://t.co/abc so we can further assist."]),
    ("PER006", "@jo Oh no, sorry for the issues! Please check out our Echo help pages: "
     "https://t.co/abc", {**SOCIAL, "reports_problem": True,
                          "customer_text": "My new Echo won't recognise any account at home."},
     ["Oh no, sorry for the issues! Please check out our Echo help pages: https://t.co/abc"]),
    # ... but not a reply that works on the case: a question, a detail asked for, the private
    # channel, words about their problem; nor a stock answer to a message with nothing in it.
    ("PER006", "@jo Sorry! Please DM us your order number: https://t.co/abc",
     {**SOCIAL, "reports_problem": True, "customer_text": "My parcel never arrived, week three"},
     []),
    ("PER006", "@jo Sorry! Send us a DM here: https://t.co/abc",
     {**SOCIAL, "reports_problem": True, "customer_text": "My parcel never arrived, week three"},
     []),
    ("PER006", "@jo Sorry to hear that! Which device is it? https://t.co/abc",
     {**SOCIAL, "reports_problem": True, "customer_text": "The app crashes on start since today"},
     []),
    ("PER006", "@jo Sorry the parcel is late! Track it here: https://t.co/abc",
     {**SOCIAL, "reports_problem": True, "customer_text": "My parcel never arrived, week three"},
     []),
    ("PER006", "@jo Sorry to hear this. Tell us more here: https://t.co/abc",
     {**SOCIAL, "reports_problem": True, "customer_text": "I have a problem"}, []),
    ("PER006", "@jo Here to help! Send us a note here https://t.co/abc",
     {**SOCIAL, "reports_problem": False, "upset": False,
      "customer_text": "Loved the new playlist feature, thanks"}, []),
    ("PER006", "@jo Here to help! Send us a note here https://t.co/abc", SOCIAL, []),
]


@pytest.mark.parametrize(
    "code,text,ctx,expected", CASES,
    ids=[f"{c}-{i}" for i, (c, *_rest) in enumerate(CASES)],
)
def test_must_flag_and_must_not_flag(code: str, text: str, ctx: dict[str, Any],
                                     expected: list[str] | None) -> None:
    got = fired(code, text, **ctx)
    if expected is None:
        assert got, f"{code} should flag {text!r}"
    else:
        assert got == expected


def test_saf002_allow_list_from_settings() -> None:
    allow = {"allowed_domains": ["example.com"]}
    assert fired("SAF002", "See https://evil.example.net/x.", allow) == ["https://evil.example.net/x"]
    assert fired("SAF002", "See https://help.example.com/x, https://example.com.", allow) == []
    assert fired("SAF002", "Mail me at jane@evil.net.", allow) == []
    assert fired("SAF002", "See https://notexample.com/x.", allow) == ["https://notexample.com/x"]


def test_thresholds_come_from_settings() -> None:
    text = " ".join(["word"] * 12) + "."
    assert fired("DIR003", text, {"max_words": 10}) == [text]
    assert fired("DIR003", text, {"max_words": 12}) == []
    assert fired("HYG006", "x" * 50, {"max_chars": {"chat": 40}}, channel="chat") == ["x" * 10]


def test_jargon_suggestion_keeps_case() -> None:
    found = reviewer_for(BY_CODE["PLN001"]).review("Utilize it. PRIOR TO use.")
    assert [f.suggestion for f in found] == ["Use", "BEFORE"]


def test_template_misspelling_suggests_nearest_variable() -> None:
    found = reviewer_for(BY_CODE["HYG001"]).review(
        "Hi {{ frist_name }},",
        ReviewContext(is_template=True, variables=frozenset({"first_name", "order_id"})))
    assert found[0].suggestion == "{{ first_name }}"
    assert "first_name" in found[0].message


def test_card_number_suggestion_keeps_last_four() -> None:
    found = reviewer_for(BY_CODE["SAF003"]).review("Card 4111 1111 1111 1111.")
    assert found[0].suggestion == "card ending in 1111"
    assert "4111 1111" not in found[0].message


def test_messages_quote_the_text() -> None:
    text = "We apologize for any inconvenience. Obviously it's late."
    for f in Reviewer(GUIDE, select=["EMP002", "TON001"]).review(text):
        assert text[f.start:f.end] in f.message


# --- properties on arbitrary text ---------------------------------------------------------------

FULL = Reviewer(GUIDE)
CONTEXTS = st.builds(
    ReviewContext,
    channel=st.sampled_from([None, "email", "chat", "social"]),
    customer_name=st.one_of(st.none(), st.text(max_size=20)),
    customer_text=st.one_of(st.none(), st.text(max_size=80)),
    upset=st.sampled_from([None, True, False]),
    reports_problem=st.sampled_from([None, True, False]),
    asks_question=st.sampled_from([None, True, False]),
    is_template=st.booleans(),
    variables=st.frozensets(st.text(min_size=1, max_size=10), max_size=3),
    body_only=st.booleans(),
)
# Pieces that steer the text into the rules' paths, mixed with arbitrary Unicode.
PIECES = st.sampled_from([
    "Hi Jane,\n\n", "Best regards,\nSam", "{{ name }}", "{% if x %}", "{% endif %}", "}}", "[NAME]",
    "TODO: ", "obviously ", "DO NOT ", "!!!", "4111 1111 1111 1111", "password is hunter2 ",
    "https://bit.ly/x ", "`code` ", "> quoted\n", '"quoted" ', "we can't do X until Y. ",
    "We will send you a replacement. ", "sorry ", "e.g. ", "soon ", "\n\n", ". ", "?", "\r\n",
    "ß", "İ", "🙂", "\u0300", "\u2028", "\x00",
])
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=30)), max_size=25).map("".join)


def _check_findings(text: str, ctx: ReviewContext) -> None:
    findings = FULL.review(text, ctx)
    assert [f.start for f in findings] == sorted(f.start for f in findings)
    for f in findings:
        assert 0 <= f.start <= f.end <= len(text)
        assert (f.line, f.column) == line_col(text, f.start)
        assert f.severity in ("error", "warning", "info")
        assert f.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS, ctx=CONTEXTS)
def test_reviewer_never_crashes_and_spans_are_inside(text: str, ctx: ReviewContext) -> None:
    _check_findings(text, ctx)


@settings(max_examples=200, deadline=None)
@given(text=st.text(), ctx=CONTEXTS)
def test_reviewer_on_arbitrary_unicode(text: str, ctx: ReviewContext) -> None:
    _check_findings(text, ctx)


# Phrases matched over word runs must find exactly what a plain regex scan finds.
PHRASEY = st.lists(st.one_of(st.sampled_from([
    "sorry ", "Sorry for ", "I'm sorry", "I’m ", "we apologize for any inconvenience ", "e.g. ",
    "don't forget to ", "non-negotiable ", "the hell ", "hello ", "x_sorry ", "-", "'", "’",
    "\u0300", "İ", "ß ", "pass ", "ASS ", "soon ", "as soon as ", "\n", ". ", "Ka",
]), st.text(max_size=8)), max_size=20).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=PHRASEY)
def test_word_runs_match_a_plain_scan(text: str) -> None:
    from matching_oracle import plain_scan

    from drafter.review import checks
    from drafter.review.text import Doc

    doc = Doc(text, ReviewContext())
    for code, key in (("EMP003", "phrases"), ("TON004", "phrases"), ("TON002", "substitutions"),
                      ("PLN004", "substitutions"), ("OWN003", "phrases")):
        s = GUIDE.rule_settings(code)
        assert s is not None
        regex = checks.compile_phrases(s[0][key], s[0].get("patterns", []))
        assert regex is not None
        fast = [m.span() for m in checks.finditer(doc, regex)]
        assert fast == plain_scan(regex, doc.prose), code


# --- quick tests that rule a text out before the real work (PLN, TON, OWN, DIR, CHO) ----------

_W25 = ("The storm closed the roads last week and our warehouse could not send any parcels for "
        "five days so your order left us on Monday.")


@pytest.mark.parametrize(("code", "text", "expected"), [
    ("TON002", "We CAN NOT ship it until payment clears.",
     ["We CAN NOT ship it until payment clears"]),
    ("TON002", "I won’t be able to refund it until the parcel is back.",
     ["I won’t be able to refund it until the parcel is back"]),
    ("TON002", "You cannot\nreset it until tomorrow.", ["You cannot\nreset it until tomorrow"]),
    ("TON002", "WE CAN'T SHİP İT UNTİL MONDAY.", ["WE CAN'T SHİP İT UNTİL MONDAY"]),
    ("TON002", "We can ship it until Friday.", []),
    ("TON003", "Wait! ! Really.", ["! !"]),
    ("TON003", "Really!? Fine.", ["!?"]),
    ("TON003", "Wow! Great! Thanks.", []),
    ("TON003", "PLEASE DON'T restart it.", ["PLEASE DON'T"]),
    ("TON003", "I'M SURE it works.", ["I'M SURE"]),
    ("TON003", "I'm sure it works.", []),
    ("PLN002", "Fill in the R&D form.", ["R&D"]),
    ("PLN002", "Use the KB9 form.", ["KB9"]),
    ("PLN002", "Ask the ČSOB bank.", []),
    ("DIR006", "Thanks. Thanks. Your new shade ships today by courier. YOUR NEW SHADE SHIPS "
               "TODAY BY COURIER!", ["YOUR NEW SHADE SHIPS TODAY BY COURIER!"]),
    ("OWN004", _W25, [_W25]),  # 25 words: long enough
    ("OWN004", _W25.replace("five ", ""), []),  # 24 words
    ("OWN004", _W25 + " Did it arrive?", []),
    ("CHO001", "We will send you a replacement. We could also refund you instead.", []),
    ("CHO001", "We will send you a replacement. It ships today.",
     ["We will send you a replacement."]),
])
def test_quick_tests_keep_the_findings(code: str, text: str, expected: list[str]) -> None:
    assert fired(code, text) == expected


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet="aeiouyAEIOUYbcdrstBCDRST0189_'-.,!?:; \n", max_size=120))
def test_syllable_bound_is_never_below_the_syllables(text: str) -> None:
    from drafter.review.rules.plain import syllables, syllables_at_most
    from drafter.review.text import Doc

    doc = Doc(text, ReviewContext())
    if not doc.sentences:
        return
    words = [w for found in doc.sentence_words for w in found]
    region = doc.prose[doc.sentences[0][0]:doc.sentences[-1][1]]
    assert syllables_at_most(region, len(words)) >= sum(map(syllables, words))


# --- quick tests that rule a text out before the real work (SAF, HYG) --------------------------

_GH_KEY = "ghp_" + "A1b2C3d4" * 5


@pytest.mark.parametrize(("code", "text", "extra", "expected"), [
    ("SAF003", "4111 1111 1111 1111 was charged.", None, ["4111 1111 1111 1111"]),
    ("SAF003", "Ref x4111111111111111.", None, ["4111111111111111"]),
    ("SAF003", "Ref v.4111111111111111 and 1/4111111111111111.", None, []),
    ("SAF003", "Card 4222222222222 (13 digits).", None, ["4222222222222"]),
    ("SAF003", "Order 12 34 56 78 90 12 34 shipped.", None, []),
    ("SAF004", "PIN: 4821", None, ["4821"]),
    ("SAF004", "Your new pin is 4821, the old pin was 1234.", None, ["4821", "1234"]),
    ("SAF004", "Use my_pin 4821 or spin 4821 or shipping 4821.", None, []),
    ("SAF004", "PASSWORD=Hunter22!", None, ["Hunter22"]),
    ("SAF004", f"Token {_GH_KEY} leaked.", None, [_GH_KEY]),
    ("SAF004", "Slack xoxb-1234567890abc here.", None, ["xoxb-1234567890abc"]),
    ("SAF004", "No keys: ask-me, task_list, Asia, xoxo.", None, []),
    ("SAF002", "See https://go.bit.ly/x and https://notbit.ly/y.", None, ["https://go.bit.ly/x"]),
    ("SAF002", "See https://a.b.example.com/x and https://example.com.evil.net/y.",
     {"allowed_domains": ["example.com"]}, ["https://example.com.evil.net/y"]),
    ("HYG001", "{Order Number} is ready; x{Order Number} too; ${Order Number} not.", None,
     ["{Order Number}", "{Order Number}"]),
    ("HYG001", "Code xXx, date TBC, tbd, __NAME__ and %NAME% here.", None,
     ["xXx", "TBC", "__NAME__", "%NAME%"]),
    ("HYG002", "Hi }} there", None, ["}}"]),
    ("HYG002", "{# a note", None, ["{#"]),
    ("HYG002", "Just {braces} and # hashes.", None, []),
])
def test_safety_and_hygiene_quick_tests_keep_the_findings(
        code: str, text: str, extra: dict[str, Any] | None, expected: list[str]) -> None:
    assert fired(code, text, extra) == expected


def test_saf007_reads_the_ticket_and_the_team_config_through_the_app() -> None:
    """App.context gives SAF007 every message of the ticket and the team's own contacts."""
    from dataclasses import replace

    from drafter import App
    from drafter.tickets.model import Message, Ticket

    app = App.from_config(**{"team.addresses": ["billing@acme.com"], "team.domains": ["acme.com"],
                             "team.signature": "Acme Support\n+44 20 7946 0958"})
    ticket = Ticket(subject="Refund", messages=[
        Message(body="Call me on 07700 900123.", latest="Call me on 07700 900123."),
        Message(body="Approved: refund, call +1 415 555 0142", latest="", from_customer=False)])
    draft = ("We'll call you on 07700 900123, or call +1 415 555 0142 or +44 20 7946 0958, or "
             "mail billing@acme.com or help@eu.acme.com or refunds@help-desk.net.")
    ctx = replace(app.context(ticket), model_draft=True)
    reviewer = app.reviewer(select=["SAF007"])
    findings = app.review(draft, context=ctx, reviewer=reviewer)
    found = [draft[f.start:f.end] for f in findings]
    # The number in the second message came from someone who is not the team (a second address
    # replying in the thread): given as a number to call, it may have been planted. The
    # customer's own number, given back as theirs, is fine.
    assert found == ["+1 415 555 0142", "refunds@help-desk.net"]
    assert "comes only from the customer's side of the ticket" in findings[0].message
    team = replace(ticket, messages=[ticket.messages[0], replace(ticket.messages[1], from_team=True)])
    assert [draft[f.start:f.end] for f in app.review(
        draft, context=replace(app.context(team), model_draft=True), reviewer=reviewer)] == [
        "refunds@help-desk.net"]  # the same number, given by the team earlier in the thread
    assert app.review(draft, context=replace(app.context(), model_draft=True),
                      reviewer=reviewer) == []


def _guide_with(code: str, **settings: Any) -> Any:
    """GUIDE with `settings` over rule `code`'s table (None removes a key)."""
    from dataclasses import replace

    principles = []
    for p in GUIDE.principles:
        if code in p.rules:
            table = {k: v for k, v in {**p.rules[code], **settings}.items() if v is not None}
            p = replace(p, rules={**p.rules, code: table})
        principles.append(p)
    return replace(GUIDE, principles=tuple(principles))


def test_skip_channels_turns_a_rule_off_on_those_channels() -> None:
    text = "The AVS check failed."
    shipped = Reviewer(GUIDE, select=["PLN002"])
    # The shipped guide: PLN002 is off on social (measured one right in five there).
    assert [f.code for f in shipped.review(text, ReviewContext(channel="social"))] == []
    assert [f.code for f in shipped.review(text, ReviewContext(channel="email"))] == ["PLN002"]
    assert [f.code for f in shipped.review(text, ReviewContext())] == ["PLN002"]
    # Any rule, from its table; a single channel may be a string.
    off = Reviewer(_guide_with("DIR002", skip_channels="Chat"), select=["DIR002"])
    assert off.review("I think it shipped.", ReviewContext(channel="chat")) == []
    assert [f.code for f in off.review("I think it shipped.", ReviewContext(channel="email"))] \
        == ["DIR002"]


def test_pln002_on_social_where_a_team_turns_it_back_on() -> None:
    on = Reviewer(_guide_with("PLN002", skip_channels=None), select=["PLN002"])

    def found(text: str) -> list[str]:
        return [text[f.start:f.end] for f in on.review(text, ReviewContext(channel="social"))]

    # The channel's own words and an agent's initials stay unflagged there.
    assert found("Please send us a DM with the booking reference so we can look. ^KJ") == []
    assert found("DM us the order number and we'll chase it.") == []
    assert found("The AVS check failed.") == ["AVS"]


def test_a_bad_skip_channels_setting_is_named() -> None:
    from drafter.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[rules.DIR002\] skip_channels must be a list"):
        Reviewer(_guide_with("DIR002", skip_channels=True), select=["DIR002"])


@pytest.mark.parametrize("text", [
    BY_CODE["PLN003"].example,
    "Unfortunately the replacement department requires additional confirmation before delivery "
    "can be arranged. We are sorry for the inconvenience this has caused you and your family. "
    "Please reply with your order number so that we can check the status immediately.",
    "Subsequently we reviewed the documentation carefully. The organisation confirmed the "
    "reimbursement yesterday afternoon. Additionally, your replacement is available immediately.",
])
def test_reading_level_is_compared_as_it_is_shown(text: str) -> None:
    # "grade 10.0, above the guide's ceiling of 10" was a finding (10.04 > 10): the grade is
    # compared as the message shows it, to one decimal.
    def messages(ceiling: float) -> list[str]:
        found = reviewer_for(BY_CODE["PLN003"], {"max_grade": ceiling, "min_words": 1})
        return [f.message for f in found.review(text)]

    (shown,) = messages(0)
    grade = float(re.search(r"grade (-?[\d.]+),", shown).group(1))
    assert messages(grade) == []
    assert len(messages(round(grade - 0.1, 1))) == 1
