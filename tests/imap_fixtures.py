"""A real Dovecot IMAP server for the IMAP tests: throwaway user, maildir and certificate in tmp."""

from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from imapclient import imap_utf7

DOVECOT = shutil.which("dovecot") or next(
    (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)), None)
OPENSSL = shutil.which("openssl")

USER = "support"
PASSWORD = "s3cret-imap-pässword"  # non-ASCII on purpose: LOGIN could not send it
PASSWORD_ENV = "DRAFTER_TEST_IMAP_PASSWORD"


def wire_name(mailbox: str) -> str:
    """`mailbox` as plain imaplib must send it: quoted, in modified UTF-7 (RFC 3501 5.1.3)."""
    return '"' + imap_utf7.encode(mailbox).decode("ascii").replace("\\", "\\\\").replace(
        '"', '\\"') + '"'


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _can_bind(host: str) -> bool:
    try:
        with socket.socket() as s:
            s.bind((host, 0))
        return True
    except OSError:
        return False


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@dataclass
class Dovecot:
    """One Dovecot instance: start it, stop it, start it again on the same ports and mail."""

    root: Path
    imaps_port: int
    imap_port: int
    hosts: tuple[str, ...]
    ca_file: Path
    drafts: str = "Drafts"
    proc: subprocess.Popen[bytes] | None = None

    @property
    def conf(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def log(self) -> Path:
        return self.root / "dovecot.log"

    def start(self) -> None:
        """Start dovecot in the foreground (as a child process) and wait until it accepts."""
        assert DOVECOT is not None
        # Its own process group, so that stopping it ends every process it forked.
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"dovecot exited with {self.proc.returncode}: {err}\n"
                                   f"{self._log_tail()}")
            try:
                for port in (self.imaps_port, self.imap_port):
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        pass
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not start listening in 15 s\n{self._log_tail()}")

    def stop(self) -> None:
        """Stop dovecot and every process it started (open IMAP sessions are cut), and wait."""
        if self.proc is None:
            return
        # The whole group at once, as when the server machine dies: a graceful stop waits a
        # second for its children, and login and mail processes outlive a lone master.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=15)
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None
        # The master is gone; wait until nothing answers on the ports any more.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.imaps_port), timeout=0.5):
                    pass
                time.sleep(0.05)
            except OSError:
                return

    def _log_tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return "(no dovecot log)"

    def client(self) -> imaplib.IMAP4_SSL:
        """An independent IMAP client (plain imaplib), logged in as the test user."""
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        imap = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=ctx, timeout=10)
        imap.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASSWORD}".encode())
        return imap

    def deliver(self, raw: bytes, mailbox: str = "INBOX") -> None:
        """Put one message into `mailbox` the way a mail client or the MTA would (APPEND)."""
        imap = self.client()
        try:
            typ, data = imap.append(wire_name(mailbox), "", None, raw.replace(b"\r\n", b"\n")
                                    .replace(b"\n", b"\r\n"))
            assert typ == "OK", data
        finally:
            imap.logout()

    def settings_flags(self, **over: Any) -> dict[str, Any]:
        """Config values (as flags) that point drafter at this server, trusting its CA."""
        flags: dict[str, Any] = {
            "imap.host": "localhost", "imap.port": self.imaps_port, "imap.security": "tls",
            "imap.ca_file": str(self.ca_file), "imap.user": USER,
            "imap.password_env": PASSWORD_ENV, "imap.timeout": 10.0,
        }
        flags.update(over)
        return flags


def _write_config(d: Dovecot, mail_uid: int, mail_gid: int, internal: str, login: str) -> None:
    root = d.root
    (root / "passwd").write_text(
        f"{USER}:{{PLAIN}}{PASSWORD}:{mail_uid}:{mail_gid}::{root / 'home' / USER}::\n",
        encoding="utf-8")
    listen = ", ".join(d.hosts)
    d.conf.write_text(f"""\
protocols = imap
listen = {listen}
base_dir = {root / 'run'}
state_dir = {root / 'state'}
log_path = {d.log}
info_log_path = {d.log}
default_internal_user = {internal}
default_login_user = {login}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name}
first_valid_uid = {min(mail_uid, 500) if mail_uid else 1}
ssl = required
ssl_cert = <{root / 'cert.pem'}
ssl_key = <{root / 'key.pem'}
auth_mechanisms = plain login
disable_plaintext_auth = yes
auth_failure_delay = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root / 'passwd'}
}}
userdb {{
  driver = passwd-file
  args = {root / 'passwd'}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox "{d.drafts}" {{
    special_use = \\Drafts
    auto = subscribe
  }}
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {d.imap_port}
  }}
  inet_listener imaps {{
    port = {d.imaps_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""", encoding="utf-8")


def _make_cert(root: Path) -> None:
    assert OPENSSL is not None
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem")],
        check=True, capture_output=True,
    )


@contextlib.contextmanager
def running_dovecot(drafts: str = "Drafts") -> Iterator[Dovecot]:
    """Start a throwaway Dovecot on free loopback ports; stop it and remove its files after.

    Its \\Drafts special-use mailbox is named `drafts`; there is also a \\Sent one.
    """
    if DOVECOT is None:
        pytest.skip("dovecot is not installed (Debian: apt-get install dovecot-imapd)")
    if OPENSSL is None:
        pytest.skip("the openssl command is not installed (Debian: apt-get install openssl)")
    # Dovecot's unprivileged processes must reach these files, so not under pytest's 0700 tmp.
    root = Path(tempfile.mkdtemp(prefix="drafter-dovecot-"))
    try:
        os.chmod(root, 0o755)
        if os.geteuid() == 0:
            # Dovecot never serves mail as uid 0: the mail belongs to an unprivileged user.
            mail = pwd.getpwnam("nobody")
            internal = "dovecot" if _user_exists("dovecot") else "nobody"
            login = "dovenull" if _user_exists("dovenull") else "nobody"
        else:
            mail = pwd.getpwuid(os.geteuid())
            internal = login = mail.pw_name
        home = root / "home" / USER
        home.mkdir(parents=True)
        for sub in ("run", "state"):
            (root / sub).mkdir()
        if os.geteuid() == 0:
            os.chmod(root / "home", 0o755)
            os.chown(home, mail.pw_uid, mail.pw_gid)
        _make_cert(root)
        hosts = ("127.0.0.1", "127.0.0.2") if _can_bind("127.0.0.2") else ("127.0.0.1",)
        d = Dovecot(root=root, imaps_port=_free_port(), imap_port=_free_port(), hosts=hosts,
                    ca_file=root / "cert.pem", drafts=drafts)
        _write_config(d, mail.pw_uid, mail.pw_gid, internal, login)
        d.start()
        try:
            yield d
        finally:
            d.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(name="dovecot")
def dovecot_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Dovecot]:
    """A fresh Dovecot for one test, with the test user's password in PASSWORD_ENV."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with running_dovecot() as d:
        yield d
