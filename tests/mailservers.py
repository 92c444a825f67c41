"""Real mail servers for the mail tests: Dovecot (IMAP) and aiosmtpd (SMTP) on loopback.

Dovecot runs from a throwaway config on a free port (see DESIGN.md, "Test infrastructure
notes"), once per test module: it refuses to run its login processes as root, so as root they run as
dovenull/dovecot and the mail folder belongs to the dovecot user; as any other user
everything runs as that user. Its folder lives in the system temp dir, not in pytest's
tmp_path, because pytest's is private to the test user and Dovecot's users must reach it.
"""

from __future__ import annotations

import copy
import email
import email.policy
import grp
import imaplib
import importlib.util
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import factories as fx
import pytest

USERS = 50  # mailboxes of one server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def need_module(name: str) -> None:
    """Like factories.need, for a Python package."""
    if importlib.util.find_spec(name) is None:
        if os.environ.get("TPS_REQUIRE_TOOLS"):
            pytest.fail(f"{name} is required (pip install -e '.[test]')")
        pytest.skip(f"{name} not installed (pip install -e '.[test]')")


def _wait_for_port(port: int, proc: subprocess.Popen[bytes] | None, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


class Dovecot:
    """One throwaway Dovecot; ``capability`` replaces what it advertises. An instance is a
    view on one user's mailbox: ``mailbox()`` gives another view on the same server, so a
    module starts one server and each test still gets an empty mailbox of its own (the
    users are all written at start: Dovecot rereads a changed passwd-file only lazily)."""

    password = "tps-test-secret"

    def __init__(self, *, capability: str | None = None) -> None:
        self.dovecot = fx.need("dovecot")
        self.capability = capability
        self.user = "tps"
        self._next = itertools.count(1)
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="tps-dovecot-"))
        self.root.chmod(0o755)
        self.config = self.root / "dovecot.conf"
        self.proc: subprocess.Popen[bytes] | None = None

    def _write_config(self) -> None:
        root, mail = self.root, self.root / "mail"
        mail.mkdir()
        if os.geteuid() == 0:
            owner = pwd.getpwnam("dovecot")
            login_user, internal_user, chroot = "dovenull", "dovecot", ""
            os.chown(mail, owner.pw_uid, owner.pw_gid)
        else:  # everything runs as this user, and only root may chroot
            owner = pwd.getpwuid(os.geteuid())
            login_user = internal_user = owner.pw_name
            chroot = "  chroot =\n"
        users = [self.user] + [f"user{i}" for i in range(1, USERS + 1)]
        (root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{self.password}\n" for u in users))
        capability = "" if self.capability is None else f"imap_capability = {self.capability}"
        self.config.write_text(f"""\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {grp.getgrgid(owner.pw_gid).gr_name}
first_valid_uid = 1
mail_location = maildir:{mail}/%u
{capability}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={mail}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
{chroot}}}
service anvil {{
{chroot}}}
""")

    def mailbox(self) -> Dovecot:
        """A view on the next unused mailbox of this server (empty, its own)."""
        view = copy.copy(self)
        view.user = f"user{next(self._next)}"
        assert int(view.user[4:]) <= USERS, "more tests than mailboxes: raise USERS"
        return view

    def start(self) -> Dovecot:
        self._write_config()
        self.proc = subprocess.Popen([self.dovecot, "-F", "-c", str(self.config)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not _wait_for_port(self.port, self.proc, 15):
            log = self.root / "dovecot.log"
            detail = log.read_text(errors="replace") if log.exists() else ""
            if self.proc.poll() is not None and self.proc.stderr is not None:
                detail += self.proc.stderr.read().decode(errors="replace")
            self.stop()
            pytest.fail(f"dovecot did not start:\n{detail}")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                # SIGTERM to the master we started (what `doveadm stop` sends, without its
                # 3 s of polling): it stops its own children and exits.
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
            if self.proc.stderr is not None:
                self.proc.stderr.close()
            self.proc = None
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(self.user, self.password)
        return imap

    def append(self, *messages: EmailMessage, folder: str = "INBOX") -> None:
        imap = self.client()
        try:
            for msg in messages:
                typ, data = imap.append(folder, None, None, msg.as_bytes())
                assert typ == "OK", data
        finally:
            imap.logout()

    def messages(self, folder: str) -> list[EmailMessage]:
        """Every message of a folder (none when it doesn't exist), without marking them."""
        imap = self.client()
        try:
            typ, _ = imap.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return []
            _, data = imap.uid("SEARCH", "ALL")
            out = []
            for uid in (data[0] or b"").split():
                _, got = imap.uid("FETCH", uid, "(BODY.PEEK[])")
                raw = next(p[1] for p in got if isinstance(p, tuple))
                out.append(email.message_from_bytes(raw, policy=email.policy.default))
            return out
        finally:
            imap.logout()


class Collector:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


class SmtpServer:
    """aiosmtpd on a fixed free loopback port, so a test can stop it and start it again."""

    def __init__(self) -> None:
        need_module("aiosmtpd")
        self.port = free_port()
        self.handler = Collector()
        self.controller: Any = None

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[tuple[list[str], EmailMessage]]:
        """(envelope recipients, parsed message) of everything received so far."""
        return [(list(e.rcpt_tos), email.message_from_bytes(e.content,
                                                             policy=email.policy.default))
                for e in self.handler.envelopes]


@pytest.fixture(scope="module")
def dovecot_server() -> Iterator[Dovecot]:
    server = Dovecot().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dovecot(dovecot_server: Dovecot) -> Dovecot:
    """An empty mailbox of its own on the module's Dovecot."""
    return dovecot_server.mailbox()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()
