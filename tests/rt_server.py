"""A real Request Tracker 5 (Debian's request-tracker5 and rt5-db-sqlite) for the helpdesk
tests: one rt-server per test session, on a free loopback port, with a SQLite database, site
config and Mason cache of its own in a temporary folder. The system's RT config and database
are never read or written: RT_SITE_CONFIG and RT_SITE_CONFIG_DIR point RT at ours.

Users (made through RT's Perl API, each with an auth token from RT::AuthToken->Create):
`agent` (staff: reads, comments, replies), `reader` (staff without CommentOnTicket) and
`customer` (Zoë Müller, unprivileged: creates tickets and replies, never sees comments).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

try:
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx  # type: ignore[no-redef]

RT_SERVER = Path("/usr/share/request-tracker5/libexec/rt-server")
RT_LIB = Path("/usr/share/request-tracker5/lib")
SETUP_DATABASE = shutil.which("rt-setup-database") or "/usr/sbin/rt-setup-database"
MAILGATE = shutil.which("rt-mailgate")
QUEUE = "Support"
BULK = "Bulk"  # a second queue with the same rights, for batches that need a queue of their own
CUSTOMER = ("zoe@example.com", "Zoë Müller")
TOKEN_ENV = "DRAFTER_TEST_RT_TOKEN"

SITE_CONFIG = """\
Set($rtname, 'drafter-test');
Set($Organization, 'drafter.test');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, '{root}/rt.db');
Set($WebDomain, '127.0.0.1');
Set($WebPort, {port});
Set($WebPath, '');
Set($WebBaseURL, 'http://127.0.0.1:{port}');
Set($LogToSTDERR, 'error');
Set($LogToSyslog, undef);
Set($LogToFile, undef);
Set($Timezone, 'UTC');
$RT::MasonDataDir = '{root}/mason/data';
$RT::MasonSessionDir = '{root}/mason/session';
1;
"""

# Run once on the new database, before the server starts: a queue, three users with their
# rights on it, and a token each (printed as JSON). The mail gateway's senders (Everyone) may
# open tickets and reply, as on a real support queue.
SETUP_PERL = r"""
use strict; use warnings; use utf8;
use lib '@RT_LIB@';
use RT; RT::LoadConfig(); RT::Init();
use JSON;
my $sys = RT->SystemUser;
my @queues;
for my $name ('@QUEUE@', '@BULK@') {
    my $queue = RT::Queue->new($sys);
    my ($qid, $qmsg) = $queue->Create(Name => $name, CorrespondAddress => 'support@drafter.test',
                                      CommentAddress => 'support-comment@drafter.test');
    die "queue: $qmsg\n" unless $qid;
    push @queues, $queue;
}
my $everyone = RT::Group->new($sys);
$everyone->LoadSystemInternalGroup('Everyone');
for my $queue (@queues) {
    for my $right (qw(CreateTicket ReplyToTicket)) {
        my ($ok, $msg) = $everyone->PrincipalObj->GrantRight(Right => $right, Object => $queue);
        die "$right: $msg\n" unless $ok;
    }
}
my @users = (
    [agent => 'agent@drafter.test', 'Sam Agent', 1,
     [qw(SeeQueue ShowTicket ShowTicketComments CommentOnTicket ReplyToTicket CreateTicket ModifyTicket)]],
    [reader => 'reader@drafter.test', 'Rea Der', 1, [qw(SeeQueue ShowTicket ShowTicketComments)]],
    [customer => '@CUSTOMER_EMAIL@', '@CUSTOMER_NAME@', 0,
     [qw(SeeQueue ShowTicket CreateTicket ReplyToTicket)]],
);
my %tokens;
for my $u (@users) {
    my ($name, $email, $real, $privileged, $rights) = @$u;
    my $user = RT::User->new($sys);
    my ($uid, $msg) = $user->Create(Name => $name, EmailAddress => $email, RealName => $real,
                                    Privileged => $privileged);
    die "user $name: $msg\n" unless $uid;
    for my $queue (@queues) {
        for my $right (@$rights) {
            my ($ok, $gmsg) = $user->PrincipalObj->GrantRight(Right => $right, Object => $queue);
            die "$name $right: $gmsg\n" unless $ok;
        }
    }
    my $token = RT::AuthToken->new($sys);
    my ($tid, $tmsg, $string) = $token->Create(Owner => $user->Id, Description => 'drafter tests');
    die "token $name: $tmsg\n" unless $tid;
    $tokens{$name} = $string;
}
print encode_json(\%tokens), "\n";
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RT:
    """One running RT: its URL, the users' tokens, and an independent REST 2 client for the
    tests' own setup and checks (never drafter's code)."""

    root: Path
    port: int
    tokens: dict[str, str]
    started_in: float
    env: dict[str, str] = field(default_factory=dict)
    pid: int = 0  # rt-server's own process (its workers are its children)

    @property
    def url(self) -> str:
        """The base URL, as `helpdesk.url` takes it."""
        return f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, user: str = "agent", body: Any = None,
             **params: Any) -> Any:
        """One REST 2 request as `user`; return the decoded JSON."""
        response = httpx.request(method, f"{self.url}/REST/2.0{path}", json=body, params=params,
                                 headers={"Authorization": f"token {self.tokens[user]}"},
                                 timeout=60)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content.strip() else None

    def create_ticket(self, subject: str, content: str, content_type: str = "text/plain",
                      user: str = "customer", requestor: str = CUSTOMER[0],
                      attachments: list[tuple[str, str, bytes]] = (), queue: str = QUEUE) -> str:
        """Open a ticket in `queue` as `user`; return its number."""
        made = self.call("POST", "/ticket", user, {
            "Queue": queue, "Subject": subject, "Requestor": requestor, "Content": content,
            "ContentType": content_type, "Attachments": _attachments(attachments)})
        return str(made["id"])

    def reply(self, number: str, content: str, user: str, content_type: str = "text/plain",
              attachments: list[tuple[str, str, bytes]] = ()) -> None:
        """Add correspondence (a reply everyone sees) to a ticket as `user`."""
        self.call("POST", f"/ticket/{number}/correspond", user, {
            "Content": content, "ContentType": content_type,
            "Attachments": _attachments(attachments)})

    def comment(self, number: str, content: str, user: str = "agent") -> None:
        """Add a comment (internal) to a ticket as `user`."""
        self.call("POST", f"/ticket/{number}/comment", user,
                  {"Content": content, "ContentType": "text/plain"})

    def history(self, number: str, user: str = "agent") -> list[dict[str, Any]]:
        """The ticket's transactions (type and author), oldest first, as `user` sees them."""
        data = self.call("GET", f"/ticket/{number}/history", user, fields="Type,Creator",
                         per_page=100)
        return [{"type": t["Type"], "creator": t["Creator"]["id"], "id": t["id"]}
                for t in data["items"]]

    def mail(self, raw: bytes) -> None:
        """Deliver an email to the queue through RT's own mail gateway, as an MTA would."""
        assert MAILGATE is not None
        subprocess.run([MAILGATE, "--url", self.url + "/", "--queue", QUEUE, "--action",
                        "correspond", "--timeout", "60"], input=raw, check=True,
                       capture_output=True, env=self.env)

    def perl(self, code: str) -> None:
        """Run Perl against this RT's database through RT's own API (as RT's system user)."""
        subprocess.run(["perl", "-e", f"use lib '{RT_LIB}'; use RT; RT::LoadConfig(); RT::Init(); "
                        f"my $sys = RT->SystemUser; {code}"], env=self.env, check=True,
                       capture_output=True, timeout=300)

    def cpu_seconds(self) -> float:
        """CPU time used so far by rt-server, its workers (live and ended) and what they ran
        (RT's HTML formatter, w3m), from /proc: what RT's work costs the machine."""
        tick = os.sysconf("SC_CLK_TCK")

        def times(pid: int | str) -> tuple[int, list[str]]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            # utime, stime, and those of the children it has waited for
            return sum(int(f) for f in fields[11:15]), fields

        total, _ = times(self.pid)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    used, fields = times(entry.name)
                    if int(fields[1]) == self.pid:
                        total += used
        return total / tick

    def settings_flags(self) -> dict[str, Any]:
        """Config values that point drafter at this RT, the token read from TOKEN_ENV."""
        return {"helpdesk.kind": "rt", "helpdesk.url": self.url, "helpdesk.token_env": TOKEN_ENV,
                "helpdesk.queue": QUEUE}


def _attachments(files: Any) -> list[dict[str, str]]:
    return [{"FileName": name, "FileType": kind, "FileContent": base64.b64encode(data).decode()}
            for name, kind, data in files]


@contextlib.contextmanager
def running_rt() -> Iterator[RT]:
    """Set up a new RT database and start rt-server on it; stop it and remove it all after."""
    if not RT_SERVER.exists() or not os.path.exists(SETUP_DATABASE):
        pytest.skip("Request Tracker 5 is not installed "
                    "(Debian: apt-get install request-tracker5 rt5-db-sqlite)")
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="drafter-rt-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        port = _free_port()
        (root / "site.d").mkdir()  # empty: Debian's RT_SiteConfig.d (its database) is not read
        for sub in ("data", "session"):
            (root / "mason" / sub).mkdir(parents=True)
        (root / "RT_SiteConfig.pm").write_text(SITE_CONFIG.format(root=root, port=port),
                                              encoding="utf-8")
        env = {**os.environ, "RT_SITE_CONFIG": str(root / "RT_SiteConfig.pm"),
               "RT_SITE_CONFIG_DIR": str(root / "site.d")}
        subprocess.run([SETUP_DATABASE, "--action", "init", "--skip-create"], env=env,
                       check=True, capture_output=True, timeout=300)
        perl = (SETUP_PERL.replace("@RT_LIB@", str(RT_LIB)).replace("@QUEUE@", QUEUE).replace("@BULK@", BULK)
                .replace("@CUSTOMER_EMAIL@", CUSTOMER[0]).replace("@CUSTOMER_NAME@", CUSTOMER[1]))
        done = subprocess.run(["perl", "-e", perl], env=env, check=True, capture_output=True,
                              timeout=300)
        tokens = json.loads(done.stdout.decode().strip().splitlines()[-1])
        log = (root / "rt-server.log").open("wb")
        proc = subprocess.Popen([str(RT_SERVER), "--port", str(port), "--host", "127.0.0.1"],
                                env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        rt = RT(root=root, port=port, tokens=tokens, started_in=0.0, env=env, pid=proc.pid)
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"rt-server exited with {proc.returncode}:\n"
                                   + (root / "rt-server.log").read_text(errors="replace")[-3000:])
            try:
                if httpx.get(f"{rt.url}/REST/2.0/rt", timeout=5).status_code in (200, 401):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("rt-server did not answer in 180 s")
            time.sleep(0.2)
        rt.started_in = time.monotonic() - started
        yield rt
    finally:
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)
        shutil.rmtree(root, ignore_errors=True)
