"""Context signals from tickets: upset, reports a problem, asks a question, name, channel."""

from __future__ import annotations

import pytest

from drafter.review.signals import context_from_ticket
from drafter.styleguide import load_styleguide
from drafter.tickets.model import Message, Ticket

GUIDE = load_styleguide()


def ticket(latest: str, name: str | None = "Jane Doe", channel: str = "email",
           body: str | None = None) -> Ticket:
    return Ticket(messages=[Message(body=body or latest, latest=latest, sender_name=name)],
                  customer_name=name, channel=channel)


@pytest.mark.parametrize("text,upset,problem,question", [
    ("My blender arrived broken!!! This is unacceptable.", True, True, False),
    ("I am so frustrated, the app keeps crashing.", True, True, False),
    ("How do I change my delivery address?", False, False, True),
    ("how do I change my delivery address", False, False, True),
    ("Can you tell me when the sale starts", False, False, True),
    ("Thanks, not a problem at all, no worries.", False, False, False),
    ("I'm not upset, just curious: is there a student discount?", False, False, True),
    ("The parcel never arrived.", False, True, False),
    ("Thanks, that worked perfectly.", False, False, False),
    ("The handle broke off on day two.", False, True, False),
    ("Any student deals? I'm broke", False, False, True),
    # Real misses: feelings in emoji or in "no one can help", problems in other words.
    ("They charged me for the driver cancelling \U0001F621\U0001F621", True, False, False),
    ("now I have a tummy ache :((((", True, False, False),
    ("By mail, by phone, no one is able to help me", True, False, False),
    ("I've heard zero from you!", True, False, False),
    ("Now constantly glitching since the update", False, True, False),
    ("All of my songs disappeared from my library.", False, True, False),
    ("I've left my phone on the 22:35 train. Can you help?", False, True, True),
    ("Great gig :) see you soon", False, False, False),
    # Real misses (the fifth holdout): a long wait, a shouted "why", trouble, an unwanted charge.
    ("Please check on this, I haven't heard from my case officer in weeks.", True, False, False),
    ("Get your act together and add profiles already. It's been months.", True, False, False),
    ("Charged $25 to check my guitar. Flight not full. WHY?", True, False, True),
    ("Having trouble buying points on my console", False, True, False),
    ("please delete all the things I didnt subscribe to", False, True, False),
    ("I need help speaking to a bloody live agent", True, False, False),
    ("No trouble at all, thanks!", False, False, False),
    # ... but weeks away, or news not heard yet, is calm.
    ("We'll be travelling for weeks, can I pause my coffee subscription?", False, False, True),
    ("I have not heard anything about the new colours yet", False, False, False),
    ("Waiting for weeks now for my refund", True, True, False),
    ("i have to check in which cases the refund policy applies", False, False, False),
    ("I want a refund for the broken lamp", False, True, False),
    ("Why is the sky blue? Just curious.", False, False, True),
    ("Everyone was able to help me, thanks!", False, False, False),
    # Real false alarms: capitals and "!!!" in praise are cheer.
    ("I LOVE WALMART, best store in town!!!", False, False, False),
    ("Thank you for ruining my phone \U0001F624", True, False, False),
    # Real misses and false alarms: a question after @handles; "when" that tells, not asks.
    ("@ShopHelp @jo which app reads the receipts", False, False, True),
    ("@Shop When the driver said he was tired, the ride went downhill.", False, False, False),
    # Real misses: upset in sarcasm and in "not helpful".
    ("Fix the signal. Not like there is a cup final tonight or anything.", True, False, False),
    ("The best they can offer is a week. Not helpful at all.", True, False, False),
    # Real miss: a run-on message that asks with no question mark.
    ("no luck with the code can you switch off the 2 step thing", False, False, True),
    ("I switched off the 2 step thing, all good now", False, False, False),
    # Real misses: anger in swearing, insults, contact made again and again, promises not
    # kept, a "#...fail" tag, a problem still there or back again, a worried face.
    ("Fix your fucking signal out here already", True, False, False),
    ("You're a bunch of crooks, save me the BS", True, False, False),
    ("Three calls to your help line and zero resolution.", True, False, False),
    ("Over 10 calls a month to get the fee removed. #ServiceFail", True, False, False),
    ("This is the 3rd notice about my bill", True, False, False),
    ("I called them 5 times about it", True, False, False),
    ("They promised a call back and never called back", True, False, False),
    ("Day four and I still can't log in", True, True, False),
    ("The app is down again", True, False, False),
    ("someone used my card to buy games \U0001F613", True, False, False),
    # ... and the same words in cheer or calm: praise, a fixed problem, a count of purchases.
    ("This update is fucking awesome, love it", False, False, False),
    ("It's working again, thanks", False, False, False),
    ("I bought it 3 times already and love it", False, False, False),
    ("I've been a customer for nine years", False, False, False),
    # Real miss: turned away is a problem; being told something is not, on its own.
    ("I filled in the recovery forms but am told it is not enough", False, True, False),
    ("The app keeps freezing on the login page", False, True, False),
    ("I was told by a friend your app is great", False, False, False),
    # Real misses: an angry face right after "not" is still angry; anger in other words (a
    # help that wasn't, contact already made, a rhetorical question, a promise not kept, a lie).
    ("Tried to cancel and it says I'm not a member😠😠", True, False, False),
    ("Already talked to your chat team. Wasn't any help.", True, False, False),
    ("Are you even trying to help? Shut the scammers down.", True, False, True),
    ("Another excuse. Been waiting since Monday.", True, False, False),
    ("That's a big lie, stop lying to me", True, False, False),
    ("I reported it but you kept asking me to restart the router", True, False, False),
    # ... and problems in other words: an outage, a blank page.
    ("Third evening with an outage on our street", False, True, False),
    ("The tracking link only gives me a blank page", False, True, False),
    # Real misses (the sixth holdout): a curt order, contact every day until it is fixed, help
    # that was none, telling the team what it should do, an insult.
    ("The short trips lose me money. Fix it.", True, False, False),
    ("I ring you every day and will keep ringing until it's fixed", True, False, False),
    ("Spoke to a manager, no assistance at all", True, False, False),
    ("Instead of telling me to ask the shop, you should ask them", True, False, False),
    ("Honestly, you guys suck.", True, False, False),
    # ... and calm words near them.
    ("Can you fix it for me please", False, False, True),
    ("I walk the dog every day", False, False, False),
    ("I already got the code, thanks, all sorted", False, False, False),
    ("That was helpful, thanks", False, False, False),
])
def test_signals_from_the_latest_words(text: str, upset: bool, problem: bool,
                                       question: bool) -> None:
    ctx = context_from_ticket(ticket(text), GUIDE)
    assert (ctx.upset, ctx.reports_problem, ctx.asks_question) == (upset, problem, question)
    assert ctx.customer_text == text


def test_quoted_earlier_words_and_urls_do_not_count() -> None:
    text = "> Is this broken?!! Unacceptable!\nThanks, all fine now: https://x.com/a?b=broken"
    ctx = context_from_ticket(ticket(text), GUIDE)
    assert (ctx.upset, ctx.reports_problem, ctx.asks_question) == (False, False, False)


def test_name_channel_and_body_only() -> None:
    ctx = context_from_ticket(ticket("Hi", name="Doe, Jane", channel="chat"), GUIDE,
                              body_only=True)
    assert ctx.customer_name == "Doe, Jane"
    assert ctx.channel == "chat" and ctx.body_only
    assert context_from_ticket(ticket("Hi"), GUIDE, channel="email").channel == "email"
    assert context_from_ticket(ticket("Hi", name="jane@example.com"), GUIDE).customer_name \
        is None


def test_no_customer_words_means_unknown_signals() -> None:
    t = Ticket(messages=[Message(body="We shipped it.", latest="We shipped it.",
                                 from_customer=False)], customer_name="Jane")
    ctx = context_from_ticket(t, GUIDE)
    assert (ctx.upset, ctx.reports_problem, ctx.asks_question) == (None, None, None)


def test_default_guide_is_loaded_when_none_is_given() -> None:
    assert context_from_ticket(ticket("Where is my parcel?")).asks_question is True
