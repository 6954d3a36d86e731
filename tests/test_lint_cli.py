"""`draft lint` end to end with the real rule catalogue: exit codes, selection, per-path
ignores, inline suppression, baselines, output files and what the command imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lint_fixtures import write

REPO = Path(__file__).resolve().parents[1]

# An email reply that the full catalogue passes: greeting, answer, next step, sign-off.
CLEAN = """\
Hi Sam,

Your refund of $40 was sent today and reaches your card within 5 business days.
If it has not arrived by Friday, reply to this email and I will chase it with the bank.

Best regards,
Dana
"""
# The same with a placeholder (HYG001, error) and a stock apology (EMP002, warning).
PROBLEMS = CLEAN.replace("Hi Sam,", "Hi [Customer Name],").replace(
    "Your refund", "We apologize for any inconvenience. Your refund")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder as the working directory (no config above it)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def codes(stdout: str) -> list[str]:
    """`path:line:col: CODE` of each finding line of a text report."""
    return [" ".join(line.split()[:2]) for line in stdout.splitlines()
            if not line.startswith(" ")]


# ------------------------------------------------------------------------------------ exit codes


def test_clean_library_exits_0(draft, repo: Path) -> None:
    write(repo, {"canned/refund.md": "---\nchannel: email\n---\n" + CLEAN})
    r = draft(["lint", "canned"])
    assert (r.code, r.stdout) == (0, ""), r
    assert "0 findings in 0 files (0 errors, 0 warnings); 1 file checked" in r.stderr


def test_findings_exit_1_and_point_into_the_file(draft, repo: Path) -> None:
    write(repo, {"canned/refund.md": "---\nchannel: email\n---\n" + PROBLEMS})
    r = draft(["lint", "canned"])
    assert r.code == 1, r
    assert codes(r.stdout) == ["canned/refund.md:4:4: HYG001", "canned/refund.md:6:1: EMP002"]
    assert "  fix: " in r.stdout and "\x1b[" not in r.stdout  # not a TTY: no color
    assert "2 findings in 1 file (1 error, 1 warning); 1 file checked" in r.stderr


def test_fail_on_threshold(draft, repo: Path) -> None:
    apology = CLEAN.replace("Hi Sam,", "Hi Sam,\n\nWe apologize for any inconvenience.")
    write(repo, {"a.md": apology})
    assert draft(["lint", "a.md"]).code == 1  # default review.fail_on = warning
    assert draft(["lint", "a.md", "--fail-on", "error"]).code == 0
    write(repo, {"drafter.toml": '[review]\nfail_on = "error"\n'})
    assert draft(["lint", "a.md"]).code == 0
    assert draft(["lint", "a.md", "--fail-on", "info"]).code == 1


def test_unreadable_file_exits_2_over_1_and_others_are_linted(draft, repo: Path) -> None:
    write(repo, {"c/a.md": PROBLEMS, "c/b.yaml": "- body: [unclosed\n", "c/d.txt": CLEAN})
    r = draft(["lint", "c", "--format", "json"])
    assert r.code == 2, r
    data = json.loads(r.stdout)
    found = {(f["path"], f["code"]) for f in data["findings"]}
    assert ("c/b.yaml", "LNT001") in found and ("c/a.md", "HYG001") in found
    assert data["summary"]["files"] == 3 and data["summary"]["unreadable"] == 1
    # Still 2 when only errors count and the parse error is the only one shown.
    assert draft(["lint", "c/b.yaml", "--fail-on", "error", "--ignore", "LNT"]).code == 2


@pytest.mark.parametrize("args, message", [
    (["lint"], "name the files or folders"),
    (["lint", "nope/"], "nope: no such file or folder"),
    (["lint", "notes.docx"], "notes.docx: drafter does not know how to read"),
    (["lint", "a.md", "--format", "xml"], "xml"),
    (["lint", "a.md", "--select", "ZZZ999"], "`ZZZ999` matches no rule"),
    (["lint", "a.md", "--baseline", "missing.json"], "baseline missing.json does not exist"),
])
def test_usage_errors_exit_2(draft, repo: Path, args: list[str], message: str) -> None:
    write(repo, {"a.md": CLEAN, "notes.docx": "x"})
    r = draft(args)
    assert r.code == 2 and message in r.stderr, r
    assert r.stdout == ""


def test_bad_config_exits_2(draft, repo: Path) -> None:
    write(repo, {"a.md": CLEAN, "drafter.toml": '[review.severity]\nEMP002 = "fatal"\n'})
    r = draft(["lint", "a.md"])
    assert r.code == 2 and "EMP002" in r.stderr


# ------------------------------------------------------------------------- select, ignore, paths


def test_select_and_ignore_by_code_prefix_and_name(draft, repo: Path) -> None:
    write(repo, {"a.md": "---\nchanel: email\n---\n" + PROBLEMS})
    assert codes(draft(["lint", "a.md", "--select", "HYG001"]).stdout) == ["a.md:4:4: HYG001"]
    assert codes(draft(["lint", "a.md", "--select", "EMP"]).stdout) == ["a.md:6:1: EMP002"]
    assert codes(draft(["lint", "a.md", "--select", "LNT"]).stdout) == ["a.md:2:1: LNT002"]
    both = draft(["lint", "a.md", "--select", "unfilled-placeholder,LNT002"]).stdout
    assert codes(both) == ["a.md:2:1: LNT002", "a.md:4:4: HYG001"]
    rest = codes(draft(["lint", "a.md", "--ignore", "HYG", "--ignore", "LNT002"]).stdout)
    assert rest == ["a.md:6:1: EMP002"]


def test_per_path_ignores_and_severity_overrides_from_config(draft, repo: Path) -> None:
    write(repo, {
        "canned/new.md": PROBLEMS,
        "canned/legacy/old.md": PROBLEMS,
        "drafter.toml": '[review.per_path_ignores]\n"canned/legacy/*" = ["EMP", "HYG001"]\n'
                        '[review.severity]\nEMP002 = "error"\n',
    })
    r = draft(["lint", "canned", "--format", "json"])
    found = [(f["path"], f["code"], f["severity"]) for f in json.loads(r.stdout)["findings"]]
    assert found == [("canned/new.md", "HYG001", "error"), ("canned/new.md", "EMP002", "error")]
    assert r.code == 1


def test_exclude_option_and_default_readme(draft, repo: Path) -> None:
    write(repo, {"c/README.md": PROBLEMS, "c/drafts/x.md": PROBLEMS, "c/ok.md": CLEAN})
    r = draft(["lint", "c", "--exclude", "drafts"])
    assert r.code == 0 and "1 file checked" in r.stderr, r


# ----------------------------------------------------------------------------------- suppression


def test_inline_suppression_forms(draft, repo: Path) -> None:
    text = """\
Hi Sam,

<!-- draft-disable-next-line EMP002 -->
We apologize for any inconvenience.
We apologize for any inconvenience, [Customer Name].
<!-- draft-disable EMP002,HYG001 -- legal wording, approved 2024-05 -->
We apologize for any inconvenience, [Customer Name].
<!-- draft-enable HYG001 -->
We apologize for any inconvenience, [Customer Name].
<!-- draft-enable -->
We apologize for any inconvenience.

Best regards,
Dana
"""
    write(repo, {"a.md": text})
    r = draft(["lint", "a.md", "--select", "EMP002,HYG001"])
    assert codes(r.stdout) == ["a.md:5:1: EMP002", "a.md:5:37: HYG001", "a.md:9:37: HYG001",
                               "a.md:11:1: EMP002"]
    assert "4 suppressed inline" in r.stderr


def test_jinja_comment_suppression_and_disable_all(draft, repo: Path) -> None:
    text = ("Hi {{ name }},\n{# draft-disable #}\nWe apologize for any inconvenience.\n"
            "{# draft-enable #}\nWe apologize for any inconvenience.\n")
    write(repo, {"a.j2": text})
    assert codes(draft(["lint", "a.j2", "--select", "EMP002"]).stdout) == ["a.j2:5:1: EMP002"]


def test_suppression_comments_are_not_reviewed_as_text(draft, repo: Path) -> None:
    # The directive's own words (a placeholder-like reason) must not be reviewed.
    write(repo, {"a.txt": "Hello,\n<!-- draft-disable-next-line EMP002 -- see [TICKET NUMBER] -->"
                          "\nThanks for waiting.\n"})
    r = draft(["lint", "a.txt", "--select", "HYG"])
    assert "HYG001" not in r.stdout, r


def test_suppression_inside_a_yaml_collection(draft, repo: Path) -> None:
    write(repo, {"c.yaml": "- name: a\n  body: |\n    <!-- draft-disable EMP002 -->\n"
                           "    We apologize for any inconvenience.\n"
                           "- name: b\n  body: We apologize for any inconvenience.\n"})
    r = draft(["lint", "c.yaml", "--select", "EMP002"])
    assert codes(r.stdout) == ["c.yaml:6:9: EMP002"], r


# -------------------------------------------------------------------------------------- baseline


def test_baseline_round_trip(draft, repo: Path) -> None:
    write(repo, {"canned/a.md": PROBLEMS, "canned/b.yaml": "- name: x\n  body: Hi [NAME]\n"})
    r = draft(["lint", "canned", "--write-baseline", "baseline.json"])
    assert r.code == 0 and r.stdout == "", r
    data = json.loads((repo / "baseline.json").read_text())
    assert data["version"] == 2
    assert {(e["path"], e["code"]) for e in data["findings"]} >= {
        ("canned/a.md", "HYG001"), ("canned/a.md", "EMP002"), ("canned/b.yaml", "HYG001")}
    assert all(set(e) == {"path", "code", "hash", "count"} for e in data["findings"])

    r = draft(["lint", "canned", "--baseline", "baseline.json"])
    assert (r.code, r.stdout) == (0, ""), r
    assert "in the baseline" in r.stderr

    # Edits elsewhere (lines added above) do not invalidate the baseline...
    (repo / "canned/a.md").write_text("---\nchannel: email\ntitle: moved\n---\n" + PROBLEMS)
    assert draft(["lint", "canned", "--baseline", "baseline.json", "--select", "HYG,EMP"]
                 ).stdout == ""
    # ...but a new finding is reported, and only it.
    (repo / "canned/b.yaml").write_text("- name: x\n  body: Hi [NAME]\n"
                                        "- name: y\n  body: Dear [Customer Name]\n")
    r = draft(["lint", "canned", "--baseline", "baseline.json"])
    assert r.code == 1 and codes(r.stdout) == ["canned/b.yaml:4:14: HYG001"], r


def test_baseline_from_config_relative_to_its_file(draft, repo: Path) -> None:
    write(repo, {"lib/a.md": PROBLEMS, "drafter.toml": '[review]\nbaseline = "ci/base.json"\n'})
    (repo / "ci").mkdir()
    assert draft(["lint", "lib", "--write-baseline", "ci/base.json"]).code == 0
    assert json.loads((repo / "ci/base.json").read_text())["findings"][0]["path"] == "../lib/a.md"
    assert draft(["lint", "lib"]).code == 0
    # From another working directory the same baseline still matches.
    os.chdir(repo / "lib")
    assert draft(["lint", "a.md"]).code == 0


def test_baseline_counts_duplicates(draft, repo: Path) -> None:
    write(repo, {"a.txt": "Hi [NAME]\n"})
    draft(["lint", "a.txt", "--write-baseline", "b.json"])
    (repo / "a.txt").write_text("Hi [NAME]\nBye [NAME]\n")
    r = draft(["lint", "a.txt", "--baseline", "b.json", "--select", "HYG001"])
    assert codes(r.stdout) == ["a.txt:2:5: HYG001"], r


def test_malformed_baseline_is_an_error(draft, repo: Path) -> None:
    write(repo, {"a.md": CLEAN, "b.json": '{"version": 99, "findings": []}'})
    r = draft(["lint", "a.md", "--baseline", "b.json"])
    assert r.code == 2 and "not a drafter baseline" in r.stderr


# ------------------------------------------------------------------------------- formats, output


def test_output_file_and_formats(draft, repo: Path) -> None:
    write(repo, {"a.md": PROBLEMS})
    r = draft(["lint", "a.md", "--format", "sarif", "-o", "out.sarif"])
    assert r.code == 1 and r.stdout == "", r
    log = json.loads((repo / "out.sarif").read_text())
    rules = {d["id"]: d for d in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["HYG001"]["name"] == "unfilled-placeholder"
    assert "placeholder" in rules["HYG001"]["fullDescription"]["text"].lower()
    gh = draft(["lint", "a.md", "--format", "github"]).stdout
    assert gh.startswith("::error file=a.md,line=1,col=4,")
    junit = draft(["lint", "a.md", "--format", "junit"]).stdout
    assert junit.startswith('<?xml version="1.0"') and 'type="HYG001"' in junit
    assert draft(["lint", "a.md", "-q"]).stderr == ""


# --------------------------------------------------------------------------------- examples, speed


def test_shipped_examples_have_their_deliberate_problems(draft, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    r = draft(["lint", "examples/canned", "--format", "json"])
    assert r.code == 1, r
    data = json.loads(r.stdout)
    by_file: dict[str, set[str]] = {}
    for f in data["findings"]:
        by_file.setdefault(f["path"].removeprefix("examples/canned/"), set()).add(f["code"])
    clean = {"refund-sent.md", "password-reset.txt", "order-status.j2", "welcome.html.j2",
             "quick-replies.json", "legacy/account-closure.md"}
    assert not clean & set(by_file), by_file
    assert {"HYG001", "EMP002"} <= by_file["shipping-delay.md"]
    assert "HYG001" in by_file["zendesk-macros.json"]
    assert "LNT002" in by_file["snippets.yaml"]
    assert data["summary"]["unreadable"] == 0 and data["summary"]["suppressed"] >= 1


def _modules_after(args: list[str], cwd: Path, full: bool = False) -> set[str]:
    code = ("import sys\nfrom drafter.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True,
                         text=True, check=True).stdout
    return set(out.split()) if full else {m.split(".")[0] for m in out.split()}


def test_lint_imports_no_heavy_modules(tmp_path: Path) -> None:
    write(tmp_path, {"a.md": CLEAN, "b.yaml": "- body: Hello\n", "c.j2": "Hi {{ name }}",
                     "d.md": "---\ntitle: Flat front matter\nvariables: [a, b]\n---\nHello\n"})
    heavy = {"openai", "jinja2", "rich", "llama_cpp", "httpx"}
    plain = _modules_after(["lint", "a.md", "d.md", "-q"], tmp_path)
    assert not plain & (heavy | {"yaml"})
    assert not _modules_after(["lint", "c.j2", "-q"], tmp_path) & (heavy | {"yaml"})
    with_yaml = _modules_after(["lint", "b.yaml", "-q"], tmp_path)
    assert "yaml" in with_yaml and not with_yaml & heavy
    # Choosing the bundled model's defaults (every App) needs only drafter.llm.bundled, not
    # the server module and what it imports (urllib.request, subprocess).
    assert not _modules_after(["lint", "a.md", "-q"], tmp_path, full=True) & {
        "drafter.llm.local", "urllib.request"}


def test_python_m_drafter_runs_lint(tmp_path: Path) -> None:
    write(tmp_path, {"a.md": PROBLEMS})
    r = subprocess.run([sys.executable, "-m", "drafter", "lint", "a.md", "--select", "HYG001"],
                       cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 1 and r.stdout.startswith("a.md:1:4: HYG001"), r


def test_a_lint_process_ends_with_its_whole_report_exit_code_and_cache(tmp_path: Path) -> None:
    # A process of its own, with workers: what it writes, its exit code and the cache
    # written at exit must all be there.
    write(tmp_path, {f"r{i:03d}.md": PROBLEMS for i in range(300)})
    env = {**os.environ, "DRAFTER_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("DRAFTER_NO_CACHE", None)
    r = subprocess.run([sys.executable, "-m", "drafter", "lint", ".", "--format", "json"],
                       cwd=tmp_path, capture_output=True, text=True, env=env)
    data = json.loads(r.stdout)  # far more than a pipe holds: every byte got through
    assert r.returncode == 1 and len(r.stdout) > 150_000
    assert data["summary"]["files"] == 300 and len(data["findings"]) == data["summary"]["findings"]
    assert r.stderr.endswith("300 files checked\n"), r.stderr
    assert any((tmp_path / "cache").iterdir())
    clean = subprocess.run([sys.executable, "-m", "drafter", "lint", "r000.md", "--select",
                            "LNT"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert clean.returncode == 0 and clean.stdout == "", clean


def test_force_exclude_applies_excludes_to_named_files(draft, repo: Path) -> None:
    write(repo, {"README.md": PROBLEMS, "canned/a.md": CLEAN})
    assert draft(["lint", "README.md", "canned/a.md"]).code == 1  # named: linted
    r = draft(["lint", "--force-exclude", "README.md", "canned/a.md"])
    assert r.code == 0 and "1 file checked" in r.stderr, r


def test_suppression_by_rule_name_and_reason_with_dashes(draft, repo: Path) -> None:
    write(repo, {"a.txt": "<!-- draft-disable canned-apology -- per legal-team sign-off -->\n"
                          "We apologize for any inconvenience.\n"
                          "<!-- draft-disable-next-line EMP0 -->\n"
                          "Dear [Customer Name], we apologize for any inconvenience.\n"})
    r = draft(["lint", "a.txt", "--select", "EMP002,HYG001"])
    assert codes(r.stdout) == ["a.txt:4:6: HYG001"], r
    assert "2 suppressed inline" in r.stderr


def test_the_channel_comes_from_the_flag_config_globs_or_front_matter(draft, repo: Path) -> None:
    """On social, "DM" is a channel word and t.co the platform's link wrapper; elsewhere not."""
    post = "Hi! Please DM us your order number: https://t.co/abc123 ^KJ\n"
    tmp_path = repo
    (tmp_path / "social").mkdir()
    (tmp_path / "social" / "a.txt").write_text(post, encoding="utf-8")
    (tmp_path / "b.txt").write_text(post, encoding="utf-8")
    (tmp_path / "c.md").write_text("---\nchannel: social\n---\n" + post, encoding="utf-8")

    def flagged(*args: str) -> set[str]:
        result = draft(["lint", ".", "--format", "json", "-j1", *args])
        return {(f["path"].rsplit("/", 1)[-1], f["code"]) for f in json.loads(result.stdout)["findings"]}

    assert flagged() == {("a.txt", "PLN002"), ("a.txt", "SAF002"),
                         ("b.txt", "PLN002"), ("b.txt", "SAF002")}
    assert flagged("--channel", "social") == set()
    (tmp_path / "drafter.toml").write_text('[lint.channels]\n"social/**" = "social"\n',
                                           encoding="utf-8")
    result = draft(["lint", ".", "--format", "json", "-j1"])
    assert {(f["path"].rsplit("/", 1)[-1], f["code"]) for f in json.loads(result.stdout)["findings"]} == {
        ("b.txt", "PLN002"), ("b.txt", "SAF002")}


def test_customer_message_in_front_matter_gives_rules_their_context(draft, repo: Path) -> None:
    """An upset customer's message makes the missing acknowledgement a finding (EMP001); the
    same response without it stays silent, as a rule without the context it needs must."""
    body = ("Hi Sam,\n\nYou can change the delivery address under Orders > Edit until the parcel "
            "ships.\n\nBest regards,\nDana\n")
    (repo / "plain.md").write_text("---\ntitle: address\n---\n" + body, encoding="utf-8")
    (repo / "upset.md").write_text(
        "---\ntitle: address\ncustomer_message: >-\n  This is ridiculous!!! I have asked three "
        "times and my parcel is still going to the wrong address. I am furious.\n---\n" + body,
        encoding="utf-8")
    found = json.loads(draft(["lint", ".", "--format", "json", "-j1"]).stdout)["findings"]
    by_file = {(f["path"], f["code"]) for f in found}
    assert ("upset.md", "EMP001") in by_file
    assert ("plain.md", "EMP001") not in by_file
    bad = repo / "bad.md"
    bad.write_text("---\ncustomer_message: [1, 2]\n---\n" + body, encoding="utf-8")
    result = draft(["lint", "bad.md", "--format", "json"])
    assert any(f["code"] == "LNT003" and "customer_message" in f["message"]
               for f in json.loads(result.stdout)["findings"])


def test_a_version_1_baseline_still_hides_findings_gathered_since(draft, repo: Path) -> None:
    """Before findings were gathered, three hedges in one sentence were three entries; that
    baseline still hides the one gathered finding they now make (and fails on a new one)."""
    from drafter.lint.baseline import Baseline

    sentence = ("Hi Sam,\n\nIt seems the parcel is kind of late and I think it might arrive "
                "tomorrow.\n\nBest regards,\nDana\n")
    write(repo, {"canned/a.txt": sentence})
    found = json.loads(draft(["lint", "canned", "--format", "json"]).stdout)["findings"]
    gathered = [f for f in found if "findings of" in f["message"]]
    assert gathered, found
    hedges = ["It seems", "kind of", "I think"]
    old = Baseline.of(repo / "old.json", [(repo / "canned" / "a.txt", gathered[0]["code"], h)
                                          for h in hedges])
    data = old.to_json()
    data["version"] = 1
    (repo / "old.json").write_text(json.dumps(data), encoding="utf-8")
    result = draft(["lint", "canned", "--format", "json", "--baseline", "old.json"])
    left = json.loads(result.stdout)["findings"]
    assert not any("findings of" in f["message"] for f in left), left
    # A baseline missing one of the parts does not hide the gathered finding.
    data["findings"] = data["findings"][1:]
    (repo / "old.json").write_text(json.dumps(data), encoding="utf-8")
    left = json.loads(draft(["lint", "canned", "--format", "json", "--baseline",
                             "old.json"]).stdout)["findings"]
    assert any("findings of" in f["message"] for f in left)


def test_a_ticket_file_in_the_folder_is_skipped_with_a_note_on_how_to_exclude_it(
        draft, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    whole = draft(["lint", "examples", "--format", "json"])
    canned = draft(["lint", "examples/canned", "examples/knowledge", "--format", "json"])
    # The ticket file (07-chat-login.json) neither fails the run nor counts as linted.
    assert whole.code == canned.code == 1, whole
    assert json.loads(whole.stdout)["findings"] == json.loads(canned.stdout)["findings"]
    assert json.loads(whole.stdout)["summary"]["unreadable"] == 0
    note = [line for line in whole.stderr.splitlines() if line.startswith("note:")]
    assert note == ["note: examples/tickets/07-chat-login.json: skipped, a ticket file (drafter's "
                    "JSON ticket import), not canned responses; leave it out with --exclude "
                    '07-chat-login.json, or for good in drafter.toml: [lint] exclude = [..., '
                    '"07-chat-login.json"]']
    excluded = draft(["lint", "examples", "--exclude", "07-chat-login.json"])
    assert excluded.code == 1 and "07-chat-login.json" not in excluded.stderr
    assert "note:" not in draft(["lint", "examples", "--quiet"]).stderr


def test_json_shapes_of_tickets_and_of_responses_are_told_apart(draft, repo: Path) -> None:
    write(repo, {
        "one.json": json.dumps({"subject": "Hi", "messages": [
            {"author": "customer", "text": "Where is my order?"}]}),
        "many.json": json.dumps([{"messages": [{"author": "customer", "text": "Hi"}]}]),
        # A response collection whose entries have a `text` body is still linted.
        "canned.json": json.dumps([{"name": "refund", "text": CLEAN}]),
    })
    result = draft(["lint", "."])
    assert result.code == 0, result
    assert result.stderr.count("note:") == 2 and "1 file checked" in result.stderr


def test_the_report_file_in_the_linted_folder_is_not_linted(tmp_path: Path) -> None:
    # `draft lint . > report.json`: the shell makes report.json (empty) before drafter starts;
    # read as a collection it was an unreadable file (exit 2). Like tar with its own archive,
    # drafter leaves out the file its report goes to, stdout or --output, and says so.
    write(tmp_path, {"a.md": CLEAN})
    env = {**os.environ, "NO_COLOR": "1"}
    with open(tmp_path / "report.json", "w") as out:
        r = subprocess.run([sys.executable, "-m", "drafter", "lint", ".", "--format", "json"],
                           cwd=tmp_path, stdout=out, stderr=subprocess.PIPE, text=True, env=env)
    report = json.loads((tmp_path / "report.json").read_text())
    assert r.returncode == 0, r.stderr
    assert report["summary"]["files"] == 1
    assert "report.json: skipped, it is this run's report or baseline" in r.stderr
    again = subprocess.run([sys.executable, "-m", "drafter", "lint", ".", "-o", "report.json"],
                           cwd=tmp_path, capture_output=True, text=True, env=env)
    assert again.returncode == 0 and "report.json: skipped" in again.stderr, again.stderr
    # Another file of the same name elsewhere is linted as ever.
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "report.json").write_text("")
    third = subprocess.run([sys.executable, "-m", "drafter", "lint", ".", "-o", "report.json"],
                           cwd=tmp_path, capture_output=True, text=True, env=env)
    assert third.returncode == 2, third
    assert "sub/report.json" in (tmp_path / "report.json").read_text()


def test_the_baseline_and_a_log_in_the_linted_folder_are_not_linted(tmp_path: Path) -> None:
    # A baseline kept beside the responses is drafter's own file, not a response: writing it
    # and reading it back must not make the next run read it as a broken collection (exit 2).
    write(tmp_path, {"a.md": PROBLEMS})
    env = {**os.environ, "NO_COLOR": "1"}

    def lint(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "drafter", "lint", ".", *args],
                              cwd=tmp_path, text=True, env=env, **kw)  # type: ignore[call-overload]

    wrote = lint("--write-baseline", "baseline.json", capture_output=True)
    assert wrote.returncode == 0 and (tmp_path / "baseline.json").exists(), wrote.stderr
    again = lint("--baseline", "baseline.json", capture_output=True)
    assert again.returncode == 0, again
    assert "baseline.json: skipped" in again.stderr
    with open(tmp_path / "lint.log.txt", "w") as log:
        logged = lint("--format", "json", "--baseline", "baseline.json",
                      stdout=subprocess.PIPE, stderr=log)
    assert logged.returncode == 0  # a.md's findings are in the baseline; the log is not read
    assert json.loads(logged.stdout)["summary"]["files"] == 1
