"""Conformance with discourse/email_reply_trimmer's golden suite (read from ../shared/corpora)."""

from __future__ import annotations

from pathlib import Path

import pytest

from drafter.tickets.trim import trim

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "email_reply_trimmer"
NAMES = sorted(p.stem for p in (CORPUS / "emails").glob("*.txt")) if CORPUS.is_dir() else []
MIN_AGREEMENT = 0.95

# Cases where drafter deliberately trims differently from the suite's authors: {name: reason}.
DIFFERS: dict[str, str] = {}

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason=f"conformance corpus not found at {CORPUS} (it lives beside the repo, not in it)",
)


def _case(name: str) -> tuple[str, str]:
    body = (CORPUS / "emails" / f"{name}.txt").read_text(encoding="utf-8")
    expected = (CORPUS / "trimmed" / f"{name}.txt").read_text(encoding="utf-8")
    return body, expected


def test_corpus_is_complete() -> None:
    assert len(NAMES) == 64


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=DIFFERS[n])) if n in DIFFERS
        else n
        for n in NAMES
    ],
)
def test_trimmed_like_the_suite(name: str) -> None:
    body, expected = _case(name)
    assert trim(body).latest.strip() == expected.strip()


def test_overall_agreement() -> None:
    agree = 0
    for name in NAMES:
        body, expected = _case(name)
        agree += trim(body).latest.strip() == expected.strip()
    assert agree / len(NAMES) >= MIN_AGREEMENT, f"{agree}/{len(NAMES)} cases agree"


def test_nothing_is_lost() -> None:
    """Every non-blank line of the input ends up in exactly one of latest/history/signature."""
    for name in NAMES:
        body, _ = _case(name)
        result = trim(body)
        parts = "\n".join((result.latest, result.history, result.signature))
        got = sorted(ln.rstrip() for ln in parts.splitlines() if ln.strip())
        want = sorted(
            ln.rstrip() for ln in body.replace("\r\n", "\n").splitlines() if ln.strip()
        )
        assert got == want, name
