"""The customer's language: detection, the rules that hold in each language, the German and
Spanish phrase lists, and what the output says was not checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from drafter.app import App
from drafter.language import detect, ticket_language
from drafter.review.context import ReviewContext
from drafter.review.reviewer import Reviewer, catalogue, rule_languages
from drafter.styleguide import load_styleguide
from drafter.tickets.model import Message, Ticket

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
GUIDE = load_styleguide()
TEXTS = tomllib.loads((REPO / "benchmarks" / "language" / "texts.toml").read_text("utf-8"))

# --- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["de", "es", "fr", "nl", "it", "pt", "en"])
def test_short_support_messages_are_detected_and_never_wrongly(lang: str) -> None:
    found = [detect(t) for t in TEXTS[lang]]
    assert not [(t, f) for t, f in zip(TEXTS[lang], found, strict=True) if f not in (lang, None)]
    assert found.count(lang) >= 0.9 * len(found), found


def test_too_little_text_is_unsure_not_wrong() -> None:
    for text, allowed in TEXTS["unsure"]:
        assert detect(text) in (None, allowed), text
    assert detect("ok thanks") is None
    assert detect("Danke!") is None


def test_ticket_language_reads_the_latest_customer_message() -> None:
    german = "Können Sie mir sagen, wann meine Bestellung ungefähr geliefert wird?"
    ticket = Ticket(messages=[
        Message(body="Hello, where is my order? It has been two weeks.",
                latest="Hello, where is my order? It has been two weeks."),
        Message(body="It ships tomorrow.", latest="It ships tomorrow.", from_customer=False),
        Message(body=german, latest=german)])
    assert ticket_language(ticket) == "de"
    assert ticket_language(Ticket(messages=[Message(body="ok thanks", latest="ok thanks")])) is None
    assert ticket_language(Ticket(messages=[])) is None


# --- which rules hold where -------------------------------------------------------------------

EVERYWHERE = {"HYG001", "HYG002", "HYG003", "HYG006", "SAF002", "SAF003", "SAF004", "SAN001",
              "SAN002", "SAN005", "DIR003"}


def test_form_rules_hold_everywhere_and_wording_rules_in_their_languages() -> None:
    by_code = {r.code: rule_languages(GUIDE, r) for r in catalogue(GUIDE)}
    assert all(by_code[c] == ("*",) for c in EVERYWHERE)
    assert by_code["EMP002"] == ("en", "de", "es")
    assert by_code["OWN002"] == ("en", "de", "es")
    assert by_code["TON001"] == ("en", "de", "es")
    assert by_code["PLN001"] == ("en",)  # no German or Spanish words: English only
    assert by_code["TON005"] == ("en",)


def test_a_team_adds_a_language_and_overrides_a_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "lang").mkdir()
    (tmp_path / "lang" / "fr.toml").write_text(
        'name = "French"\n[rules.EMP002]\ncanned_phrases = ["nous nous excusons pour la gêne '
        'occasionnée"]\n', encoding="utf-8")
    (tmp_path / "lang" / "de.toml").write_text(
        '[rules.OWN002]\nphrases = ["nicht unser Bier"]\n', encoding="utf-8")
    guide = load_styleguide([tmp_path])
    reviewer = Reviewer(guide, select=["EMP002", "OWN002"])
    french = "Nous nous excusons pour la gêne occasionnée. Votre colis part demain matin."
    assert [f.code for f in reviewer.review(french)] == ["EMP002"]
    # The team's German file replaces the shipped one: EMP002 has no German words there now.
    german = "Das ist nicht unser Bier, und nicht unser Problem. Bitte fragen Sie die Post."
    assert [f.code for f in reviewer.review(german)] == ["OWN002"]
    assert reviewer.coverage("de").rules == ("EMP002",)


def test_a_bad_language_file_names_itself(tmp_path: Path) -> None:
    from drafter.errors import ConfigError

    (tmp_path / "lang").mkdir()
    (tmp_path / "lang" / "fr.toml").write_text('[rules]\nEMP002 = "oops"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"fr\.toml: `rules` must hold one table per rule"):
        load_styleguide([tmp_path])


def test_a_team_rule_says_where_it_holds(tmp_path: Path) -> None:
    (tmp_path / "brand.toml").write_text(
        'id = "brand"\ntitle = "Brand"\nguidance = "Say Lumen."\n'
        '[rules.ACME001]\ntype = "existence"\nname = "old-name"\nphrases = ["Lumenix"]\n'
        'languages = ["*"]\n', encoding="utf-8")
    reviewer = Reviewer(load_styleguide([tmp_path]), select=["ACME001"])
    german = "Ihre neue Lumenix-Leuchte wird morgen geliefert, die Sendungsnummer folgt."
    assert [f.code for f in reviewer.review(german)] == ["ACME001"]


# --- German and Spanish phrase lists: must flag, must not flag ---------------------------------

LEIDER = ("Leider ist die Lampe, die Sie bestellt haben, zurzeit nicht auf Lager. Der Hersteller "
          "hat uns noch keinen neuen Liefertermin genannt, und wir wissen im Moment nicht, wann "
          "sie wieder verfügbar sein wird.")
LAMENTABLEMENTE = ("Lamentablemente la lámpara que pidió no está disponible en este momento. El "
                   "fabricante todavía no nos ha dado una nueva fecha de entrega y por ahora no "
                   "sabemos cuándo volverá a estar disponible.")
# (language, rule, text, a flagged text or None for must-not-flag)
CASES: list[tuple[str, str, str, str | None]] = [
    ("de", "EMP002", "Wir entschuldigen uns für etwaige Unannehmlichkeiten und melden uns morgen "
     "mit der neuen Sendungsnummer.", "Wir entschuldigen uns für etwaige Unannehmlichkeiten"),
    ("de", "EMP002", "Es tut mir leid, dass die Lampe zerbrochen bei Ihnen ankam. Ich schicke "
     "Ihnen heute eine neue.", None),
    ("de", "EMP003", "Entschuldigung für die Verspätung. Es tut uns leid, dass das Paket so lange "
     "braucht.", "tut uns leid"),
    ("de", "EMP003", "Es tut mir leid, dass das Paket so lange braucht. Es ist jetzt beim Zusteller "
     "und kommt morgen an.", None),
    ("de", "EMP004", "Beruhigen Sie sich bitte, das ist doch nicht so schlimm.",
     "Beruhigen Sie sich"),
    ("de", "EMP004", "Ich verstehe, wie ärgerlich das ist, und kümmere mich heute darum.", None),
    ("de", "EMP005", "Entschuldigung für die Umstände! Ihre Erstattung wurde heute veranlasst.",
     "Entschuldigung für die Umstände"),
    ("de", "EMP005", "Entschuldigung für den Ärger mit Ihrer Karte. Die Erstattung wurde heute "
     "veranlasst.", None),
    ("de", "OWN001", "Sie hätten die Adresse prüfen sollen.", "Sie hätten die Adresse prüfen sollen"),
    ("de", "OWN001", "Das ist nicht Ihre Schuld: Der Fehler lag bei unserem Lager.", None),
    ("de", "OWN002", "Das ist nicht unser Problem, die Post hat das Paket verloren.",
     "nicht unser Problem"),
    ("de", "OWN002", "Das Paket ist beim Zustellen beschädigt worden. Ich kläre das mit dem "
     "Paketdienst und schicke Ihnen heute Ersatz.", None),
    ("de", "OWN003", "Wir werden Ihnen die Erstattung zeitnah überweisen.", "zeitnah"),
    ("de", "OWN003", "Wir überweisen Ihnen die Erstattung bis Freitag, sobald die Rücksendung da "
     "ist.", None),
    ("de", "OWN004", LEIDER, "sein wird"),
    ("de", "OWN004", LEIDER + " Ich frage morgen beim Hersteller nach und schreibe Ihnen bis "
     "Freitag, wann sie wieder da ist.", None),
    ("de", "OWN006", "Bitte eröffnen Sie ein neues Ticket für die Rechnung.",
     "eröffnen Sie ein neues Ticket"),
    ("de", "OWN006", "Ich habe Ihre Anfrage an unsere Buchhaltung weitergegeben; sie meldet sich "
     "bis morgen bei Ihnen.", None),
    ("de", "TON001", "Wie bereits erwähnt, müssen Sie das Passwort zurücksetzen.",
     "Wie bereits erwähnt"),
    ("de", "TON001", "Sie können das Passwort unter Konto > Sicherheit zurücksetzen.", None),
    ("de", "TON004", "Das ist echt Mist, dass die Lieferung so spät kam.", "Mist"),
    ("de", "TON004", "Das ist ärgerlich, dass die Lieferung so spät kam.", None),
    ("de", "TON006", "Bitte lesen Sie zuerst unsere FAQ, bevor Sie uns schreiben.",
     "Bitte lesen Sie zuerst"),
    ("de", "TON006", "In unserer FAQ finden Sie eine Anleitung dazu; ich schicke Ihnen den Link.",
     None),
    ("de", "SAF001", "Wir gewähren Ihnen wegen der Verspätung 20 % Rabatt auf die nächste Bestellung.",
     "20 % Rabatt"),
    ("de", "SAF001", "Ich habe Ihnen die 12,50 € heute erstattet.", "erstattet"),
    ("de", "SAF001", "Sobald die Rücksendung da ist, erstatten wir Ihnen den Betrag.",
     "erstatten wir Ihnen"),
    ("de", "SAF001", "Ich kläre mit der Buchhaltung, ob wir Ihnen die Kosten erstatten können, und "
     "schreibe Ihnen bis Freitag.", None),
    ("de", "SAF001", "Wir haben Ihnen gestern eine E-Mail mit der Sendungsnummer geschickt.", None),
    ("es", "SAF001", "Le aplicamos un 20 % de descuento en su próximo pedido.", "20 % de descuento"),
    ("es", "SAF001", "Hemos reembolsado el importe a su tarjeta.", "Hemos reembolsado"),
    ("es", "SAF001", "Tiene derecho a un reembolso completo.", "Tiene derecho a un reembolso"),
    ("es", "SAF001", "Compruebo hoy si tiene derecho a un reembolso y le escribo mañana.", None),
    ("es", "SAF001", "No le podemos reembolsar el envío, pero le mando hoy la etiqueta.", None),
    ("es", "EMP002", "Lamentamos cualquier inconveniente y le enviaremos el número de seguimiento "
     "mañana.", "Lamentamos cualquier inconveniente"),
    ("es", "EMP002", "Siento mucho que la lámpara llegara rota. Hoy mismo le enviamos una nueva.",
     None),
    ("es", "EMP003", "Disculpe el retraso. Lo sentimos mucho.", "Lo sentimos"),
    ("es", "EMP003", "Siento el retraso. El paquete ya está en reparto y llega mañana.", None),
    ("es", "EMP004", "Cálmese, no es para tanto.", "Cálmese"),
    ("es", "EMP004", "Entiendo lo molesto que es, y lo soluciono hoy mismo.", None),
    ("es", "EMP005", "Disculpe la confusión. Su reembolso se ha enviado hoy.",
     "Disculpe la confusión"),
    ("es", "EMP005", "Disculpe el problema con su tarjeta. Su reembolso se ha enviado hoy.", None),
    ("es", "OWN001", "Es su culpa: la dirección estaba mal.", "su culpa"),
    ("es", "OWN001", "No es culpa suya: el error fue de nuestro almacén.", None),
    ("es", "OWN002", "Eso no es nuestra culpa, el transportista perdió el paquete.",
     "no es nuestra culpa"),
    ("es", "OWN002", "El paquete se dañó en el transporte. Yo lo reclamo al transportista y le "
     "envío hoy un reemplazo.", None),
    ("es", "OWN003", "Le enviaremos el reembolso en breve.", "en breve"),
    ("es", "OWN003", "Le enviaremos el reembolso el viernes, tan pronto como recibamos la "
     "devolución.", None),
    ("es", "OWN004", LAMENTABLEMENTE, "disponible"),
    ("es", "OWN004", LAMENTABLEMENTE + " Mañana pregunto al fabricante y le escribo antes del "
     "viernes con la fecha.", None),
    ("es", "OWN006", "Por favor, contacte con el fabricante para solucionarlo.",
     "contacte con el fabricante"),
    ("es", "OWN006", "He pasado su caso a nuestro equipo de facturación; le escribirán mañana.",
     None),
    ("es", "TON001", "Como ya le dije, tiene que restablecer la contraseña.", "Como ya le dije"),
    ("es", "TON001", "Puede restablecer la contraseña en Cuenta > Seguridad.", None),
    ("es", "TON004", "Es una mierda que el pedido llegara tarde.", "mierda"),
    ("es", "TON004", "Es una pena que el pedido llegara tarde.", None),
    ("es", "TON006", "Como se indica en la documentación, los pedidos salen en 48 horas.",
     "Como se indica en la documentación"),
    ("es", "TON006", "Los pedidos salen en 48 horas; le paso el enlace con los detalles.", None),
]


@pytest.mark.parametrize("lang,code,text,flagged", CASES,
                         ids=[f"{c[0]}-{c[1]}-{'flag' if c[3] else 'clean'}-{i}"
                              for i, c in enumerate(CASES)])
def test_german_and_spanish_phrase_lists(lang: str, code: str, text: str,
                                         flagged: str | None) -> None:
    found = Reviewer(GUIDE, select=[code]).review(text, ReviewContext(body_only=True),
                                                  language=lang)
    spans = [text[f.start:f.end] for f in found]
    if flagged is None:
        assert spans == []
    else:
        assert any(flagged in s for s in spans), spans


def test_every_german_and_spanish_rule_has_a_must_flag_and_a_must_not_flag_case() -> None:
    for lang in ("de", "es"):
        for code in GUIDE.languages[lang].rules:
            kinds = {flagged is None for lg, c, _, flagged in CASES if (lg, c) == (lang, code)}
            assert kinds == {True, False}, (lang, code)


def test_english_wording_rules_do_not_run_on_german_text() -> None:
    # English words that some English rules flag, inside German text: TON005 (slang "pls"),
    # PLN004 (abbreviation "etc."): not checked in German, so not flagged.
    text = ("Hallo Maria,\n\nIhre Bestellung wird morgen verschickt, die Sendungsnummer etc. "
            "schicken wir Ihnen per E-Mail. Antworten Sie pls bis heute Abend, falls sich die "
            "Adresse geändert hat.\n\nViele Grüße\nTom")
    reviewer = Reviewer(GUIDE)
    assert reviewer.language(text) == "de"
    assert not {f.code for f in reviewer.review(text)} & {"TON005", "PLN004", "HYG004", "HYG005"}
    english = text.replace("Ihre Bestellung wird morgen verschickt", "Your order ships tomorrow")
    assert {"TON005"} <= {f.code for f in Reviewer(GUIDE, select=["TON005"]).review(
        english, language="en")}
    covered = reviewer.coverage("de")
    assert "plain_words" in covered.not_checked and "TON005" in covered.rules
    assert "EMP002" not in covered.rules and "HYG001" not in covered.rules
    assert reviewer.coverage("en").rules == () and reviewer.coverage("en").note() is None


# --- draft lint of German and Spanish canned responses ----------------------------------------

GERMAN_CANNED = """\
Hallo {{ customer_name }},

vielen Dank für Ihre Nachricht. Ihre Bestellung ist heute bei uns im Lager eingegangen und wird
morgen verschickt. Die Sendungsnummer schicken wir Ihnen per E-Mail, sobald das Paket unterwegs
ist.

Falls Sie die Lieferadresse noch ändern möchten, antworten Sie bitte bis heute 18 Uhr auf diese
E-Mail.

Viele Grüße
{{ agent_name }}
"""
SPANISH_CANNED = """\
Hola {{ customer_name }}:

Gracias por escribirnos. Su pedido ha llegado hoy a nuestro almacén y saldrá mañana. Le
enviaremos el número de seguimiento por correo electrónico en cuanto el paquete esté en camino.

Si quiere cambiar la dirección de entrega, responda a este correo antes de las 18:00 de hoy.

Un saludo,
{{ agent_name }}
"""
SPANISH_STOCK = """\
Hola {{ customer_name }}:

Lamentamos cualquier inconveniente. Eso no es nuestra culpa: el transportista tiene su paquete y
le llegará pronto.

Un saludo,
{{ agent_name }}
"""


def test_lint_of_german_and_spanish_canned_responses(draft, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "versand.md").write_text(GERMAN_CANNED, encoding="utf-8")
    (tmp_path / "envio.md").write_text(SPANISH_CANNED, encoding="utf-8")
    (tmp_path / "disculpa.md").write_text(SPANISH_STOCK, encoding="utf-8")
    r = draft(["lint", ".", "--format", "json"])
    data = json.loads(r.stdout)
    by_file: dict[str, set[str]] = {}
    for f in data["findings"]:
        by_file.setdefault(f["path"], set()).add(f["code"])
    # No English wording findings on the clean ones; the Spanish stock phrases are found.
    assert "versand.md" not in by_file and "envio.md" not in by_file, by_file
    assert {"EMP002", "OWN002", "OWN003"} <= by_file["disculpa.md"]
    langs = {x["path"]: x for x in data["languages"]}
    assert langs["versand.md"]["language"] == "de" and langs["envio.md"]["language"] == "es"
    assert "plain_words" in langs["versand.md"]["not_checked"]
    text = draft(["lint", "versand.md"])
    assert text.code == 0 and "versand.md: note: German text; not checked in German: " \
        "plain_words" in text.stderr


def test_review_says_what_was_not_checked(draft, tmp_path: Path) -> None:
    path = tmp_path / "reply.txt"
    path.write_text(GERMAN_CANNED.replace("{{ customer_name }}", "Maria")
                    .replace("{{ agent_name }}", "Tom"), encoding="utf-8")
    r = draft(["review", str(path)])
    assert r.code == 0 and "note: German text; not checked in German:" in r.stderr
    data = json.loads(draft(["review", str(path), "--explain", "--format", "json"]).stdout)
    assert data["language"]["language"] == "de" and data["language"]["not_checked"]


# --- SAN005 with the customer's language ------------------------------------------------------


def test_an_english_draft_to_a_german_ticket_is_an_error() -> None:
    german = ("Hallo, ich habe am Montag die Stehleuchte Birke bestellt. Können Sie mir sagen, "
              "wann sie ungefähr geliefert wird?")
    ticket = Ticket(messages=[Message(body=german, latest=german, sender_name="Jürgen")],
                    subject="Lieferzeit", customer_name="Jürgen Weber")
    app = App()
    assert app.ticket_language(ticket) == "de"
    draft_body = ("Thank you for your order. Your lamp ships on Monday and will arrive within "
                  "three business days.")
    found = app.review(draft_body, ticket, body_only=True)
    assert [(f.code, f.severity) for f in found if f.code == "SAN005"] == [("SAN005", "error")]
    assert "English; the customer wrote in German" in next(
        f.message for f in found if f.code == "SAN005")
    german_draft = ("Vielen Dank für Ihre Bestellung. Ihre Leuchte wird am Montag verschickt und "
                    "kommt innerhalb von drei Werktagen bei Ihnen an.")
    assert "SAN005" not in {f.code for f in app.review(german_draft, ticket, body_only=True)}


# --- start-up: the model is loaded only where a language is detected -------------------------


def _modules_after(args: list[str], cwd: Path) -> set[str]:
    code = ("import sys\nfrom drafter.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                         text=True, check=True).stdout
    return {m.split(".")[0] for m in out.split()}


def test_the_detector_is_imported_only_when_needed(tmp_path: Path) -> None:
    (tmp_path / "en.md").write_text("Hi {{ name }},\n\nYour refund was sent today and reaches "
                                    "your card within 5 business days.\n\nBest regards,\nSam\n",
                                    encoding="utf-8")
    (tmp_path / "de.md").write_text(GERMAN_CANNED, encoding="utf-8")
    heavy = {"py3langid", "numpy"}
    assert not _modules_after(["--help"], tmp_path) & heavy
    assert not _modules_after(["rules"], tmp_path) & heavy
    assert not _modules_after(["lint", "en.md", "-q"], tmp_path) & heavy
    assert heavy <= _modules_after(["lint", "de.md", "-q"], tmp_path)


def test_a_bad_phrase_in_a_language_file_names_that_file(tmp_path: Path) -> None:
    from drafter.errors import ConfigError

    (tmp_path / "lang").mkdir()
    (tmp_path / "lang" / "de.toml").write_text('[rules.OWN002]\nphrases = ["{nicht unser"]\n',
                                               encoding="utf-8")
    reviewer = Reviewer(load_styleguide([tmp_path]), select=["OWN002"])
    with pytest.raises(ConfigError, match=r"lang/de\.toml: \[rules\.OWN002\]"):
        reviewer.review("Das ist nicht unser Problem, bitte fragen Sie die Post.", language="de")


def test_the_detector_model_is_kept_expanded_in_the_cache(tmp_path: Path) -> None:
    # A fresh process each time: the model is loaded once per process.
    script = ("from drafter.language import load_model\n"
              "print(*load_model().classify('Hallo, meine Bestellung ist nicht angekommen.'))")
    env = {"DRAFTER_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def run() -> str:
        return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, check=True).stdout

    first = run()
    entries = list(tmp_path.glob("langid-*.npz"))
    assert len(entries) == 1 and entries[0].stat().st_size > 1_000_000
    assert run() == first and first.startswith("de ")  # read back: the same answer
    whole = entries[0].read_bytes()
    for damaged in (b"damaged", whole[:len(whole) // 2]):  # not a zip; a zip cut short
        entries[0].write_bytes(damaged)  # a damaged entry is expanded anew and replaced
        assert run() == first
        assert entries[0].stat().st_size == len(whole)
    (tmp_path / "langid-1-1.npz").write_bytes(b"another py3langid's")
    entries[0].unlink()
    assert run() == first  # written again; the other model file's entry goes
    assert [e.name for e in tmp_path.glob("langid-*.npz")] == [entries[0].name]
