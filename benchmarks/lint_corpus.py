"""A deterministic corpus of canned support responses for the linter benchmarks.

Writes about 2,000 files (about 220,000 words; most Markdown with front matter, some plain
text) into benchmarks/_work/corpus/, composed from sentence templates and vocabulary written
for this benchmark. The same seed always gives the same files. The texts carry the habits the
reviewer looks for at realistic rates: stock apologies, jargon, hedges, vague times,
placeholders, acronyms, long sentences, missing greetings or sign-offs.

Run on its own it (re)writes the corpus and prints its size; lint_vs_peers imports `build`.
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "_work" / "corpus"
SEED = 20260
FILES = 2000
VERSION = "1"  # bump when the generator changes, so a stale corpus is rebuilt

NAMES = ["Jane", "Omar", "Priya", "Lukas", "Mei", "Carlos", "Aisha", "Tom", "Sofia", "Kwame",
         "Anna", "Diego", "Fatima", "Noah", "Yuki", "Elena", "Ravi", "Grace", "Ivan", "Chloe"]
AGENTS = ["Sam", "Alex", "Jordan", "Taylor", "Morgan", "Robin", "Casey", "Jamie", "Riley", "Drew"]
PRODUCTS = ["coffee machine", "standing desk", "blender", "air purifier", "robot vacuum",
            "electric kettle", "office chair", "monitor arm", "water filter", "label printer",
            "smart thermostat", "espresso grinder", "desk lamp", "backpack", "rice cooker"]
PARTS = ["glass jug", "power cable", "remote", "filter cartridge", "charging dock", "lid",
         "mounting bracket", "battery", "side brush", "drip tray", "control panel", "hinge"]
ISSUES = ["arrived damaged", "stopped working after a week", "makes a loud rattling noise",
          "will not turn on", "is missing a part", "shows an error light", "leaks water",
          "does not connect to the app", "was the wrong colour", "arrived late"]
TOPICS = ["refund", "replacement", "exchange", "invoice", "subscription", "delivery",
          "warranty claim", "account", "password reset", "payment", "order", "return"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
CARRIERS = ["DHL", "UPS", "our courier", "the postal service", "FedEx"]

GREETINGS = ["Hi {name},", "Hello {name},", "Dear {name},", "Hi {name},", "Hello {name},",
             "Hi there,", "Dear customer,", "Good morning {name},", "Hi {{ first_name }},",
             "Hello [Customer Name],", "Hey {name}!"]
SIGN_OFFS = ["Best regards,\n{agent}", "Kind regards,\n{agent}", "Thanks,\n{agent}",
             "Best,\n{agent}", "Many thanks,\n{agent}\nCustomer Support", "Cheers,\n{agent}",
             "Warm regards,\nThe Support Team", "Regards,\n{agent}"]

OPENERS = [
    "Thank you for reaching out about your {product}.",
    "Thanks for contacting us about your {topic}.",
    "I'm sorry to hear that your {product} {issue}.",
    "I'm really sorry your {part} {issue}; that is not the experience we want you to have.",
    "We apologize for any inconvenience this may have caused.",
    "Thank you for your patience while we looked into this.",
    "I understand how frustrating it is when a new {product} {issue}.",
    "Yes, you can return the {product} within 30 days of delivery.",
    "Your {topic} has been approved and is on its way.",
    "I've checked your order {order} and can see exactly what happened.",
    "Good news: the replacement {part} shipped this morning.",
    "Thank you for your email regarding your recent inquiry.",
    "Sorry for the delay in getting back to you.",
    "I completely understand, and I want to get this sorted for you today.",
]
EXPLAIN = [
    "Our records show that the {product} left our warehouse on {day} and was handed to "
    "{carrier} the same afternoon.",
    "The {part} on this model is a known weak point, and we have already improved it in the "
    "current batch.",
    "It looks like the payment was declined by your bank, so the order was put on hold.",
    "I think the problem is the {part}, which can come loose during delivery.",
    "Perhaps the easiest fix is to reset the {product} to its factory settings.",
    "We will utilize the information you sent to facilitate a faster resolution.",
    "Prior to shipping, every {product} is tested, but sometimes a {part} is damaged in transit.",
    "Your {topic} request was escalated to our Tier 2 team, who will review the RMA shortly.",
    "According to our SLA, we respond to billing questions within one business day.",
    "The charge you see is a pre-authorisation, which your bank releases automatically.",
    "This happens when the firmware is out of date, so the app cannot find the {product}.",
    "We can't ship a replacement until we receive the photos of the damaged {part}.",
    "Obviously the {product} should not {issue_short}, and we take this seriously.",
    "It might be possible to repair the {part} instead of replacing the whole {product}.",
    "In order to process your {topic}, we need the order number and a photo of the label.",
    "The {carrier} tracking page shows the parcel as delivered, but I can see it was left at "
    "the wrong address, which is our mistake and not yours.",
    "Going forward, we will leverage our new courier network to ensure a seamless delivery "
    "experience for all of our valued customers across every region we serve.",
    "As per our policy, a {topic} is issued to the original payment method, e.g. your card.",
    "Your account was locked after several failed login attempts, which is a security measure.",
    "Please note that the {part} is covered by the two-year warranty, i.e. there is no cost.",
    "The system flagged the order for manual review because the billing and shipping addresses "
    "were different, and the review queue was longer than usual this week because of the sale, "
    "so your order sat in the queue for three days before anyone looked at it.",
    "I've issued a full refund of {amount} to your card, and you should see it in a few days.",
    "We will send a new one ASAP, as soon as the warehouse confirms stock.",
    "Unfortunately that is not our department, so you will need to contact the manufacturer.",
    "You should have received a confirmation email with the return label attached.",
    "The customer will receive an email once the refund is processed.",
    "Our team will get back to you in due course with an update on your {topic}.",
    "The issue was caused by a bug in version 3.2 of the app, which we fixed on {day}.",
    "I have looked at the logs and the {product} reported an error code E{code} twice.",
    "Your new {part} is included at no cost, and so is the shipping.",
    "You can find the manual at https://help.example.com/manuals/{slug} if you need it.",
    "I'm gonna check with the warehouse and let you know.",
    "Please don't hesitate to reply if anything is unclear.",
    "The {product} is compatible with the {part} from the previous model as well.",
    "We have credited your account with {amount} as a goodwill gesture.",
]
STEPS_INTRO = ["Here is what to do next:", "Please try these steps:", "To fix this:",
               "Could you try the following?"]
STEPS = [
    "Unplug the {product} and wait 30 seconds.",
    "Open the app and go to Settings > Devices.",
    "Hold the power button for ten seconds until the light blinks.",
    "Check that the {part} clicks into place.",
    "Take a photo of the {part} and the label on the box.",
    "Reply to this email with the photos attached.",
    "Print the return label and drop the parcel at any {carrier} point.",
    "Sign in at `account.example.com` and choose Orders.",
    "Update the firmware from the app's Device page.",
    "Run a descaling cycle with the cleaning tablet.",
]
CLOSERS = [
    "I'll email you by {day} with the tracking number.",
    "I will check back with you on {day} to make sure everything works.",
    "Let us know if you have any other questions.",
    "If that does not help, reply to this email and I will arrange a replacement.",
    "Would you prefer a replacement or a refund? Either is fine with us.",
    "You will receive the new {part} within 3 to 5 business days.",
    "Feel free to reach out if you need anything else.",
    "We'll be in touch soon.",
    "Once we receive the parcel, your {topic} is processed within two business days.",
    "Just reply to this message and I will take it from there.",
    "Please let me know which option you prefer.",
    "TODO: confirm the refund amount with billing before sending.",
]
CHAT = [
    "Thanks for waiting! I'm checking your order now.",
    "Got it, I can see the {topic} on your account.",
    "Sorry about that! I've sent a new link to your email.",
    "Your parcel is with {carrier} and arrives on {day}.",
    "Could you tell me the order number? It starts with {order_prefix}.",
    "No worries, I've updated the address for you.",
    "pls give me a sec while I look into it.",
    "I've passed this to our billing team; they reply within a day.",
    "Is there anything else I can help with today?",
    "The {part} is in stock, so I can send it today.",
]
TITLES = ["{topic} approved", "{product} {issue_short}", "{topic} follow-up", "shipping delay",
          "{part} replacement", "account locked", "{topic} policy", "welcome back", "chat hold",
          "escalation to tier 2", "{product} troubleshooting"]


def _fill(template: str, rng: random.Random, name: str, agent: str) -> str:
    issue = rng.choice(ISSUES)
    values = {
        "name": name, "agent": agent, "product": rng.choice(PRODUCTS), "part": rng.choice(PARTS),
        "issue": issue, "issue_short": issue.split(" after")[0], "topic": rng.choice(TOPICS),
        "day": rng.choice(DAYS), "carrier": rng.choice(CARRIERS),
        "order": f"#{rng.randint(10000, 99999)}", "order_prefix": rng.choice("ABCDW"),
        "amount": f"${rng.randint(12, 480)}.{rng.randint(0, 99):02d}",
        "code": str(rng.randint(10, 99)), "slug": rng.choice(PRODUCTS).replace(" ", "-"),
    }
    out = template
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


def _email(rng: random.Random, name: str, agent: str) -> str:
    parts: list[str] = []
    if rng.random() < 0.9:
        parts.append(_fill(rng.choice(GREETINGS), rng, name, agent))
    body: list[str] = [_fill(rng.choice(OPENERS), rng, name, agent)]
    for _ in range(rng.randint(1, 4)):
        para = [_fill(rng.choice(EXPLAIN), rng, name, agent)
                for _ in range(rng.choice((1, 1, 2, 2, 3)))]
        body.append(" ".join(para))
    if rng.random() < 0.35:
        steps = rng.sample(STEPS, rng.randint(2, 5))
        body.append(rng.choice(STEPS_INTRO) + "\n\n" + "\n".join(
            f"{i}. {_fill(s, rng, name, agent)}" for i, s in enumerate(steps, 1)))
    body.append(" ".join(_fill(rng.choice(CLOSERS), rng, name, agent)
                         for _ in range(rng.randint(1, 2))))
    parts.extend(body)
    if rng.random() < 0.85:
        parts.append(_fill(rng.choice(SIGN_OFFS), rng, name, agent))
    return "\n\n".join(parts) + "\n"


def _chat(rng: random.Random, name: str, agent: str) -> str:
    n = rng.randint(2, 4) if rng.random() < 0.9 else rng.randint(10, 14)  # a few run too long
    return " ".join(_fill(rng.choice(CHAT), rng, name, agent) for _ in range(n)) + "\n"


def _front_matter(rng: random.Random, title: str, channel: str, template: bool) -> str:
    lines = ["---", f"title: {title}", f"channel: {channel}"]
    if rng.random() < 0.4:
        lines.append(f"upset: {rng.choice(['true', 'false'])}")
    if rng.random() < 0.4:
        lines.append(f"reports_problem: {rng.choice(['true', 'false'])}")
    if rng.random() < 0.25:
        lines.append("asks_question: true")
    if template:
        lines.append("variables: [first_name, order_id]")
    lines.append(f"tags: [{rng.choice(TOPICS)}, {rng.choice(['email', 'macro', 'v2'])}]")
    lines.append("---")
    return "\n".join(lines) + "\n\n"


def build(root: Path = CORPUS, files: int = FILES, seed: int = SEED) -> list[Path]:
    """Write the corpus under `root` (only when missing or stale) and return its files, sorted."""
    stamp = root / ".corpus-version"
    want = f"{VERSION} {files} {seed}"
    if stamp.is_file() and stamp.read_text() == want:
        return sorted(p for p in root.rglob("*") if p.suffix in (".md", ".txt"))
    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(seed)
    out: list[Path] = []
    for i in range(files):
        folder = root / rng.choice(TOPICS).replace(" ", "-")
        folder.mkdir(parents=True, exist_ok=True)
        name, agent = rng.choice(NAMES), rng.choice(AGENTS)
        chat = rng.random() < 0.12
        text = _chat(rng, name, agent) if chat else _email(rng, name, agent)
        if rng.random() < 0.15:  # plain-text snippets: no front matter
            path = folder / f"reply-{i:04d}.txt"
            path.write_text(text, encoding="utf-8")
        else:
            title = _fill(rng.choice(TITLES), rng, name, agent)
            template = "{{" in text or rng.random() < 0.1
            path = folder / f"reply-{i:04d}.md"
            path.write_text(_front_matter(rng, title, "chat" if chat else "email", template)
                            + text, encoding="utf-8")
        out.append(path)
    stamp.write_text(want)
    return sorted(out)


def words(paths: list[Path]) -> int:
    """Count whitespace-separated words in `paths` (as `wc -w` does), front matter included."""
    return sum(len(p.read_text(encoding="utf-8").split()) for p in paths)


def main() -> None:
    """Build the corpus and print its size."""
    paths = build()
    md = sum(p.suffix == ".md" for p in paths)
    total = words(paths)
    size = sum(p.stat().st_size for p in paths)
    print(f"corpus: {CORPUS.relative_to(HERE.parent)} (seed {SEED})")
    print(f"files: {len(paths)} ({md} .md with front matter, {len(paths) - md} .txt)")
    print(f"words: {total:,} (wc -w, front matter included); bytes: {size:,}")


if __name__ == "__main__":
    sys.exit(main())
