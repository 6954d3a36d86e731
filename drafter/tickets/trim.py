"""Split an email body into the author's latest words and the elided quoted history and signature.

The work is line by line, in linear time: every line is classified once with checks bounded
by the line's length (long lines are never matched against patterns), attributions that wrap
over several lines are found with a lookahead of a few lines, and the structure is decided in
one forward pass. Where a decision is unsure, the text is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Line kinds.
EMPTY, TEXT, QUOTE, QUOTEISH, CODE = "empty", "text", "quote", "quoteish", "code"
ATTRIB, ATTRIB_CONT, FORWARD = "attrib", "attrib+", "forward"
HEADER, HEADER_CONT = "header", "header+"
DELIM, SIGDELIM, MOBILE = "delim", "sigdelim", "mobile"
_MARKERS = (ATTRIB, FORWARD, HEADER)

# Lines longer than this are plain text or quotes: no pattern ever runs on them.
_MAX_PATTERN_LINE = 400
# An attribution may wrap over this many lines (blank lines included).
_ATTRIB_WINDOW = 6
# ... of which at most this many non-blank continuation lines.
_ATTRIB_MAX_CONT = 3
# A delimiter or a "Sent from my phone" line ends the message when at most this many lines of
# ordinary text follow it (before quoted history); more text after it means we are unsure.
_MAX_TAIL_LINES = 4

# "wrote:" in many languages; these must appear in an attribution line that ends with a colon.
_WROTE = (
    "wrote", "writes", "a écrit", "a ecrit", "schrieb", "geschrieben", "escribió", "escribio",
    "ha scritto", "scrisse", "schreef", "geschreven", "escreveu", "skrev", "skrevet", "napisał",
    "napisała", "napisal", "написал", "написала", "написав", "пише", "писал", "kirjoitti",
    "napsal", "napsala", "írta", "yazdı", "έγραψε", "va escriure", "scrie", "rašė",
)
_WROTE_CJK = ("写道", "寫道", "のメッセージ", "書きました", "작성", "님이 작성")
_WROTE_RE = re.compile(
    r"(?<![^\W\d_])(?:" + "|".join(re.escape(v) for v in _WROTE) + r")(?![^\W\d_])"
)

# Words an attribution starts with ("On <date>, <name> wrote:" and its translations).
_OPENERS = frozenset({
    "on", "am", "le", "el", "il", "op", "em", "den", "dnia", "w", "på", "pa", "kl", "at", "в",
    "у", "dne", "dana", "the", "in", "el dia", "el día", "il giorno", "le mar", "en",
})

# Gmail-style "2016-10-24 15:36 GMT+02:00 Name <a@b>:" and "2013/7/20 Name <a@b>".
_ISO_DATE_START = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b")

# "-----Original Message-----", "---------- Forwarded message ---------" and translations.
_FORWARD_PHRASES = frozenset({
    "original message", "original email", "ursprüngliche nachricht", "originalnachricht",
    "mensaje original", "message d'origine", "message original", "messaggio originale",
    "oorspronkelijk bericht", "origineel bericht", "mensagem original", "originalmeddelande",
    "ursprungligt meddelande", "opprinnelig melding", "original melding",
    "oprindelig meddelelse", "oryginalna wiadomość", "wiadomość oryginalna",
    "исходное сообщение", "原始邮件", "原始郵件", "元のメッセージ", "forwarded message",
    "begin forwarded message", "weitergeleitete nachricht", "anfang der weitergeleiteten nachricht",
    "message transféré", "début du message réexpédié", "début du message transféré",
    "mensaje reenviado", "inicio del mensaje reenviado", "messaggio inoltrato",
    "inizio messaggio inoltrato", "doorgestuurd bericht", "begin doorgestuurd bericht",
    "mensagem encaminhada", "início da mensagem reencaminhada", "vidarebefordrat meddelande",
    "videresendt melding", "videresendt meddelelse", "przekazana wiadomość",
    "пересылаемое сообщение", "转发的邮件", "轉寄的郵件", "転送されたメッセージ",
})

# Header names of a quoted message's header block ("From: / Sent: / To: / Subject:").
_FROM_KEYS = frozenset({
    "from", "von", "de", "da", "från", "fra", "van", "od", "от", "发件人", "寄件者", "差出人",
    "lähettäjä", "feladó", "kimden", "afzender", "remetente", "expéditeur", "mittente",
})
_OTHER_KEYS = frozenset({
    "sent", "date", "to", "cc", "bcc", "subject", "reply-to", "gesendet", "datum", "an",
    "betreff", "envoyé", "envoyé le", "date d'envoi", "à", "objet", "enviado", "enviado el",
    "fecha", "para", "asunto", "inviato", "data", "a", "oggetto", "risposta", "skickat", "till",
    "ämne", "sendt", "til", "emne", "verzonden", "aan", "onderwerp", "wysłano", "wysłane", "do",
    "temat", "отправлено", "дата", "кому", "тема", "发送时间", "发送日期", "收件人", "主题", "日期",
    "抄送", "送信日時", "宛先", "件名", "kopie", "cópia", "assunto", "lähetetty", "vastaanottaja",
    "aihe", "kopio", "tárgy", "címzett", "konu", "kime", "tarih", "gönderildi",
})

# "Sent from my iPhone" and its relatives: a line-start phrase ...
_MOBILE_PREFIXES = (
    "sent from ", "sent via ", "sent with ", "sent using ", "sent by ", "sent on ", "from my ",
    "envoyé depuis ", "envoyé de ", "envoyé avec ", "envoye de ", "envoye depuis ",
    "von meinem ", "gesendet von ", "gesendet mit ", "diese nachricht wurde von meinem ",
    "enviado desde ", "enviado do ", "enviado de ", "enviado con ", "inviato da ", "inviato dal ",
    "inviato con ", "verzonden met ", "verzonden vanaf ", "verstuurd vanaf ", "verstuurd met ",
    "sendt fra ", "skickat från ", "sendt från ", "lähetetty ", "wysłane z ", "wysłano z ",
    "отправлено с ", "отправлено из ", "надіслано з ", "get outlook for ", "get ",
)
# ... whose line names a device or mail app (or says "my <something>").
_MOBILE_WORDS = (
    "iphone", "ipad", "ipod", "android", "mobile", "mobil", "phone", "téléphone", "telefon",
    "smartphone", "galaxy", "samsung", "blackberry", "outlook", "mail", "airmail", "windows",
    "tablet", "device", "htc", "huawei", "pixel", "nokia", "xperia", "cell", "móvil", "celular",
    "handy", "k-9", "yahoo", "proton", "spark", "superhuman", "xiaomi", "oneplus", "motorola",
    "телефон", "смартфон",
)
_MOBILE_POSSESSIVE = (
    "sent from my ", "envoyé de mon ", "envoyé depuis mon ", "von meinem ", "enviado desde mi ",
    "enviado do meu ", "inviato dal mio ", "verzonden vanaf mijn ", "sendt fra min ",
    "skickat från min ", "wysłane z mojego ",
)
_MOBILE_CJK_START = ("从我的", "發自我的", "发自我的", "從我的", "来自我的", "來自我的")
_MOBILE_CJK_END = ("から送信", "傳送", "发送")

_CODE_FENCE = "```"
_DELIM_CHARS = frozenset("-_=*~#+")
_GMAIL_TRACKER = "\u1427"  # a lone "ᐧ" that Gmail add-ons put under the text
_QUOTEISH = re.compile(r"[A-Za-z]{1,12}>(?:\s|$)")  # usenet "JD> text" quoting
_LINK = re.compile(r"<https?://[^>\s]{0,300}>|\]\(https?://[^)\s]{0,300}\)|https?://\S{0,300}")
_MAX_MOBILE_WORDS = 12


@dataclass(frozen=True)
class Trimmed:
    """A body split into the author's latest words and what was elided (history, signature)."""

    latest: str
    history: str
    signature: str

    @property
    def elided(self) -> str:
        """Everything removed: the signature, then the quoted history."""
        return "\n\n".join(part for part in (self.signature, self.history) if part)


def trim(body: str) -> Trimmed:
    """Split `body` into the latest words, the quoted history and the signature."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kinds = _classify(lines)
    labels = _decide(kinds)
    _drop_contact_block(lines, labels)
    keep = [ln for ln, lab in zip(lines, labels, strict=True) if lab == "keep"]
    history = [ln for ln, lab in zip(lines, labels, strict=True) if lab == "history"]
    signature = [ln for ln, lab in zip(lines, labels, strict=True) if lab == "signature"]
    return Trimmed(latest=_join(keep), history=_join(history), signature=_join(signature))


def split_reply(body: str) -> tuple[str, str]:
    """Return (latest words, elided quoted history and signature) of `body`."""
    result = trim(body)
    return result.latest, result.elided


def _join(lines: list[str]) -> str:
    text = "\n".join(ln.rstrip() for ln in lines)
    return text.strip("\n").rstrip()


# --- classification -------------------------------------------------------------------------


def _strip_quote(line: str) -> tuple[str, bool]:
    """Return the line without its leading '>' markers, and whether it had any."""
    s = line.lstrip()
    if not s.startswith(">"):
        return line, False
    i = 0
    while i < len(s) and s[i] in "> \t":
        i += 1
    return s[i:], True


def _squash(text: str) -> str:
    """Collapse runs of white space (including no-break spaces) into one space."""
    return " ".join(text.split())


def _is_attribution(text: str) -> bool:
    """Whether `text` (one line, or a wrapped attribution joined) says who wrote what follows."""
    s = _squash(text)
    if not s or len(s) > _MAX_PATTERN_LINE:
        return False
    has_anchor = "@" in s or any(map(str.isdigit, s))
    if not has_anchor:
        return False
    low = s.lower()
    if low.startswith("--") and low.endswith("--"):  # "---- On <date> <name> wrote ----"
        core = low.strip("- ")
        return bool(_WROTE_RE.search(core)) and core.endswith(("wrote", "a écrit", "schrieb"))
    if low.endswith((":", "：")):
        if _WROTE_RE.search(low) or any(v in s for v in _WROTE_CJK):
            return True
        # "2016-10-24 15:36 GMT+02:00 Name <name@example.com>:" and its local-date variants.
        if s[0].isdigit() and "@" in s:
            return True
        # Gmail's "пн, 8 янв. 2024 г. в 10:02, Name <name@example.com>:" (no verb at all).
        if low.endswith(">:") and "@" in s and len(s) <= 200:
            return True
    # "2013/7/20 Name <name@example.com>", "2016-03-03 17:21 GMT+01:00 Name".
    return bool(_ISO_DATE_START.match(s)) and ("@" in s or "gmt" in low) and len(s) <= 200


def _opens_attribution(text: str) -> bool:
    """Whether a line could be the first line of a wrapped attribution."""
    s = _squash(text)
    if not s or len(s) > 250:
        return False
    if s[0].isdigit():
        return True
    first = s.split(" ", 1)[0].strip(",.").lower()
    if first in _OPENERS and any(map(str.isdigit, s)):
        return True
    if "<" in s and ("@" in s or s.endswith("<")):
        return True
    return bool(_WROTE_RE.search(s.lower()))


def _starts_attribution_strongly(text: str) -> bool:
    """Whether a line starts like "On <date>" or "<date>": a continuation cannot be one."""
    s = _squash(text)
    if not s:
        return False
    if s[0].isdigit():
        return True
    first = s.split(" ", 1)[0].strip(",.").lower()
    return first in _OPENERS and any(map(str.isdigit, s[:40]))


def _is_forward_marker(text: str) -> bool:
    s = _squash(text)
    if not s or len(s) > 120:
        return False
    core = s.strip("-_=*~ ").rstrip(":").strip().lower()
    return core in _FORWARD_PHRASES


def _header_key(line: str) -> str | None:
    """Return the lowercased name of a "Name: value" header line (bold allowed), or None."""
    s = line.strip()
    if not s or len(s) > _MAX_PATTERN_LINE:
        return None
    head = s[:40]
    cut = -1
    for sep in (":", "："):
        j = head.find(sep)
        if j > 0 and (cut < 0 or j < cut):
            cut = j
    if cut < 0:
        return None
    key = s[:cut].strip("*_ ").lower()
    if not key or len(key) > 24:
        return None
    return key


def _is_delimiter(stripped: str) -> bool:
    if stripped == _GMAIL_TRACKER:
        return True
    return 2 <= len(stripped) <= 200 and all(ch in _DELIM_CHARS for ch in stripped)


def _is_mobile_signature(line: str) -> bool:
    s = _squash(line)
    if not s or len(s) > 200:
        return False
    s = s.strip("<>()[]*_ ")
    if s.startswith(_MOBILE_CJK_START) or (
        len(s) <= 40 and s.endswith(_MOBILE_CJK_END) and "iphone" in s.lower()
    ):
        return True
    if s.endswith("から送信"):
        return True
    low = _squash(_LINK.sub(" ", s.lower()))
    if not low.startswith(_MOBILE_PREFIXES):
        return False
    prefix = next(p for p in _MOBILE_PREFIXES if low.startswith(p))
    if len(low.split()) > _MAX_MOBILE_WORDS:
        return False
    if prefix == "get ":
        return low.startswith(("get outlook", "get [outlook")) or "outlook for" in low
    if low.startswith(_MOBILE_POSSESSIVE):
        return True
    return any(w in low for w in _MOBILE_WORDS)


def _classify(lines: list[str]) -> list[str]:
    """Give each line a kind; wrapped attributions and header blocks span several lines."""
    n = len(lines)
    kinds = [TEXT] * n
    in_code = False
    i = 0
    while i < n:
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith(_CODE_FENCE) and not line.lstrip().startswith(">"):
            in_code = not in_code
            kinds[i] = CODE
            i += 1
            continue
        if in_code:
            kinds[i] = CODE
            i += 1
            continue
        if not stripped:
            kinds[i] = EMPTY
            i += 1
            continue
        if len(line) > _MAX_PATTERN_LINE:
            kinds[i] = QUOTE if stripped.startswith(">") else TEXT
            i += 1
            continue
        content, quoted = _strip_quote(line)
        if _is_forward_marker(content):
            kinds[i] = FORWARD
            i += 1
            continue
        span = _attribution_span(lines, i)
        if span:
            kinds[i] = ATTRIB
            for j in range(i + 1, i + span):
                kinds[j] = ATTRIB_CONT
            i += span
            continue
        if quoted:
            kinds[i] = QUOTE
            i += 1
            continue
        if stripped == "--":
            kinds[i] = SIGDELIM
            i += 1
            continue
        if _is_delimiter(stripped):
            kinds[i] = DELIM
            i += 1
            continue
        if _is_mobile_signature(stripped):
            kinds[i] = MOBILE
            i += 1
            continue
        if _QUOTEISH.match(stripped):
            kinds[i] = QUOTEISH
            i += 1
            continue
        block = _header_block_span(lines, i)
        if block:
            kinds[i] = HEADER
            for j in range(i + 1, i + block):
                kinds[j] = HEADER_CONT
            i += block
            continue
        i += 1
    return kinds


def _attribution_span(lines: list[str], i: int) -> int:
    """Return how many lines the attribution starting at line `i` spans (0: none)."""
    first, quoted = _strip_quote(lines[i])
    if _is_attribution(first):
        return 1
    if not _opens_attribution(first):
        return 0
    joined = first
    nonblank = 0
    for j in range(i + 1, min(len(lines), i + _ATTRIB_WINDOW)):
        raw = lines[j]
        if len(raw) > 200:
            return 0
        part = _strip_quote(raw)[0] if quoted else raw
        if not part.strip():
            continue
        if _starts_attribution_strongly(part):
            return 0
        if _is_attribution(part) and not _is_unfinished(joined):
            return 0
        nonblank += 1
        if nonblank > _ATTRIB_MAX_CONT:
            return 0
        joined = joined + " " + part
        if _is_attribution(joined):
            return j - i + 1
    return 0


def _is_unfinished(text: str) -> bool:
    """Whether a line stops inside a "Name <address>" (so the next line must continue it)."""
    s = text.rstrip()
    return s.endswith(("<", ",")) or s.count("<") > s.count(">")


def _header_block_span(lines: list[str], i: int) -> int:
    """Return the length of a "From: / Sent: / To:" block starting at line `i` (0: none)."""
    if _header_key(lines[i]) not in _FROM_KEYS:
        return 0
    others = 0
    loose = 0
    j = i + 1
    while j < len(lines) and lines[j].strip() and j - i < 16:
        key = _header_key(lines[j])
        if key in _OTHER_KEYS:
            others += 1
        elif key is None or key not in _FROM_KEYS:
            loose += 1  # a header value wrapped onto the next line
            if loose > 2:
                break
        j += 1
    return j - i if others >= 1 else 0


# --- structure ------------------------------------------------------------------------------


def _marker_end(kinds: list[str], i: int) -> int:
    """Return the index after the marker (attribution, forward line or header block) at `i`."""
    j = i + 1
    while j < len(kinds) and kinds[j] in (ATTRIB_CONT, HEADER_CONT):
        j += 1
    return j


def _skip_empty(kinds: list[str], i: int) -> int:
    while i < len(kinds) and kinds[i] == EMPTY:
        i += 1
    return i


def _quote_block_end(kinds: list[str], i: int) -> int:
    """Return the index after the run of quoted (and blank) lines starting at `i`."""
    j = i
    last = i
    while j < len(kinds) and kinds[j] in (QUOTE, EMPTY, ATTRIB, ATTRIB_CONT, FORWARD):
        if kinds[j] != EMPTY:
            last = j + 1
        j += 1
    return last


def _decide(kinds: list[str]) -> list[str]:
    """Label each line keep / history / signature."""
    n = len(kinds)
    labels = ["keep"] * n

    # A message that opens with an attribution, forward marker or header block is bottom-posted
    # or forwarded without comment: drop the marker and the quote right under it, keep the rest.
    pos = _skip_empty(kinds, 0)
    while pos < n and kinds[pos] in _MARKERS:
        end = _marker_end(kinds, pos)
        after = _skip_empty(kinds, end)
        if after < n and kinds[after] == QUOTE:
            end = _quote_block_end(kinds, after)
        for j in range(pos, end):
            labels[j] = "history"
        pos = _skip_empty(kinds, end)

    tails = _tail_lengths(kinds)
    cut: int | None = None
    cut_label = "history"
    i = pos
    while i < n:
        kind = kinds[i]
        if kind == ATTRIB:
            end = _marker_end(kinds, i)
            after = _skip_empty(kinds, end)
            if after < n and kinds[after] == QUOTE:
                q_end = _quote_block_end(kinds, after)
                nxt = _skip_empty(kinds, q_end)
                if nxt < n and kinds[nxt] in (TEXT, CODE):
                    # An inline reply: the author answers between quoted parts. Keep it all.
                    for j in range(i, end):
                        labels[j] = "history"
                    i = q_end
                    continue
            cut = i
            break
        if kind in (FORWARD, HEADER):
            cut = i
            break
        if kind == SIGDELIM:
            cut, cut_label = i, "signature"
            break
        if kind in (DELIM, MOBILE):
            if tails[i + 1] <= _MAX_TAIL_LINES:
                cut, cut_label = i, "signature"
                break
            if kind == MOBILE:
                labels[i] = "signature"
        i += 1

    if cut is not None:
        label = cut_label
        for j in range(cut, n):
            if label == "signature" and kinds[j] in (*_MARKERS, QUOTE):
                label = "history"
            labels[j] = label

    _drop_trailing_quotes(kinds, labels)
    return labels


def _drop_contact_block(lines: list[str], labels: list[str]) -> None:
    """After a sign-off and the author's name, trailing contact lines are the signature.

    "Best regards,\nJane Doe" stays (it is part of what the customer wrote); the title, company,
    phone numbers and links under it go, but only when every one of those lines looks like
    contact details and at least one clearly is (a phone number, an address or a link).
    """
    kept = [j for j, lab in enumerate(labels) if lab == "keep" and lines[j].strip()]
    window = kept[-12:]
    sign_off = next((k for k in range(len(window) - 1, -1, -1)
                     if _is_sign_off(lines[window[k]])), None)
    if sign_off is None:
        return
    rest = window[sign_off + 1:]
    if not rest or not _looks_like_name(lines[rest[0]]):
        return
    rest = rest[1:]
    if not rest:
        return
    if all(_is_contact(lines[j]) or _is_title(lines[j]) for j in rest) and any(
        _is_contact(lines[j]) for j in rest
    ):
        for j in range(rest[0], len(labels)):
            if labels[j] == "keep":
                labels[j] = "signature"


_SIGN_OFFS = frozenset({
    "thanks", "thank you", "thanks a lot", "many thanks", "thanks again", "regards",
    "best regards", "kind regards", "warm regards", "best wishes", "best", "cheers",
    "sincerely", "yours sincerely", "yours truly", "all the best", "respectfully", "greetings",
    "mit freundlichen grüßen", "mit freundlichen grüssen", "viele grüße", "beste grüße",
    "liebe grüße", "gruß", "grüße", "cordialement", "bien cordialement", "bien à vous",
    "merci", "saludos", "un saludo", "atentamente", "gracias", "cordiali saluti", "saluti",
    "grazie", "met vriendelijke groet", "groeten", "atenciosamente", "obrigado", "obrigada",
    "med vänliga hälsningar", "vänliga hälsningar", "hälsningar", "med venlig hilsen",
    "venlig hilsen", "med vennlig hilsen", "hilsen", "pozdrawiam", "z poważaniem",
    "с уважением", "спасибо", "よろしくお願いします", "谢谢", "此致",
})
_PHONE = re.compile(r"\+?\(?\d[\d\s().-]{6,24}\d")


def _is_sign_off(line: str) -> bool:
    s = _squash(line).rstrip(",.!-— ").lower()
    return 0 < len(s) <= 40 and s in _SIGN_OFFS


def _looks_like_name(line: str) -> bool:
    s = _squash(line)
    return 0 < len(s) <= 40 and len(s.split()) <= 5 and not s.endswith(("?", ".", ":", "!"))


def _is_contact(line: str) -> bool:
    s = _squash(line)
    if not s or len(s) > 100 or len(s.split()) > 8 or s.endswith(("?", "!", ".")):
        return False  # a sentence ("Call me on +1 555 0100 today.") is the customer's words
    low = s.lower()
    if low.startswith(("p.s", "ps:", "ps ")):
        return False
    return bool(
        _PHONE.search(s) or "@" in s or "http://" in low or "https://" in low or "www." in low
    )


def _is_title(line: str) -> bool:
    s = _squash(line)
    if s.lower().startswith(("p.s", "ps:", "ps ")):
        return False
    return 0 < len(s) <= 60 and len(s.split()) <= 8 and not s.endswith(("?", ".", "!", ":"))


def _tail_lengths(kinds: list[str]) -> list[int]:
    """For each line, how many lines of ordinary text follow it before quoted history (capped)."""
    n = len(kinds)
    counts = [0] * (n + 1)
    for j in range(n - 1, -1, -1):
        kind = kinds[j]
        if kind in (*_MARKERS, QUOTE, SIGDELIM):
            counts[j] = 0
        else:
            counts[j] = min(counts[j + 1] + (kind in (TEXT, CODE, QUOTEISH)), _MAX_TAIL_LINES + 1)
    return counts


def _drop_trailing_quotes(kinds: list[str], labels: list[str]) -> None:
    """Quotes that end a message after the author's own text are history."""
    kept = [j for j, lab in enumerate(labels) if lab == "keep"]
    if not any(kinds[j] in (TEXT, CODE) for j in kept):
        return
    for j in reversed(kept):
        if kinds[j] == EMPTY:
            continue
        if kinds[j] in (QUOTE, QUOTEISH):
            labels[j] = "history"
            continue
        break
