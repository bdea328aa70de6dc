"""Outgoing mail (issue 13 building block): `orderdesk-mcp mail test` against a real SMTP sink
(aiosmtpd on a free local port) and the development mailbox (`MAIL_DROP_DIR`).

Needs only the built `orderdesk-mcp`: no database, no server, no simulator.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import os
import queue
import socket
import stat
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from e2e_support import clean_env

PASSWORD = "pa55-Wörd-never-printed"  # percent-encoded into SMTP_URL below
REFUSAL_TEXT = "mailbox-unavailable-xyzzy"  # the sink's reply text: never copied into our errors
SENDER = "noreply@orderdesk.example"


def free_port(host: str = "127.0.0.1") -> int:
    # aiosmtpd 1.4.6 cannot bind port 0 (Controller.start() connects to the configured port).
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Sink:
    """Records every delivered message with its envelope and the client's EHLO name."""

    def __init__(self, refuse: str | None = None):
        self.messages: queue.Queue = queue.Queue()
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return f"550 5.1.1 {REFUSAL_TEXT}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.put(
            {
                "ehlo": session.host_name,
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "raw": envelope.original_content,
                "msg": email.message_from_bytes(envelope.content, policy=email.policy.default),
            }
        )
        return "250 Message accepted for delivery"

    def all(self) -> list[dict]:
        out = []
        while not self.messages.empty():
            out.append(self.messages.get_nowait())
        return out


@pytest.fixture
def smtp_sink(request):
    """A started sink on 127.0.0.1 (or the host given by indirect parametrisation)."""
    host, refuse = getattr(request, "param", ("127.0.0.1", None))
    sink = Sink(refuse=refuse)
    controller = Controller(sink, hostname=host, port=free_port(host))
    controller.start()
    sink.port = controller.port
    sink.host = host
    yield sink
    controller.stop()


def mail_test(bin_dir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    full = clean_env()
    for k in ("SMTP_URL", "MAIL_FROM", "MAIL_DROP_DIR", "SMTP_ALLOW_PLAINTEXT", "SMTP_TIMEOUT_MS"):
        full.pop(k, None)
    full.update(env)
    return subprocess.run(
        [str(bin_dir / "orderdesk-mcp"), "mail", "test", *args], env=full, capture_output=True, text=True, timeout=60
    )


def smtp_url(port: int, host: str = "127.0.0.1") -> str:
    from urllib.parse import quote

    return f"smtp://mailer:{quote(PASSWORD, safe='')}@{host}:{port}"


def assert_no_secret(p: subprocess.CompletedProcess) -> None:
    from urllib.parse import quote

    for secret in (PASSWORD, quote(PASSWORD, safe=""), "pa55"):
        assert secret not in p.stdout and secret not in p.stderr, "the SMTP password was printed"


def test_mail_test_delivers_one_utf8_message_with_the_right_envelope_and_headers(bin_dir, smtp_sink):
    p = mail_test(
        bin_dir,
        {"SMTP_URL": smtp_url(smtp_sink.port), "MAIL_FROM": f"OrderDesk MCP <{SENDER}>"},
        "--to",
        "member@example.com",
    )
    assert p.returncode == 0, p.stderr
    assert_no_secret(p)
    assert "member@example.com" in p.stdout and f"smtp://127.0.0.1:{smtp_sink.port}" in p.stdout

    [got] = smtp_sink.all()
    assert got["from"] == SENDER
    assert got["to"] == ["member@example.com"]
    # No path in SMTP_URL: the EHLO name is MAIL_FROM's domain, not libcurl's "localhost".
    assert got["ehlo"] == "orderdesk.example"
    msg = got["msg"]
    assert msg["From"].addresses[0].addr_spec == SENDER
    assert msg["From"].addresses[0].display_name == "OrderDesk MCP"
    assert msg["To"] == "member@example.com"
    assert msg["Subject"] == "OrderDesk MCP test message — ✓"  # decoded from RFC 2047
    assert msg["MIME-Version"] == "1.0"
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert msg["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@orderdesk.example>")
    assert email.utils.parsedate_to_datetime(msg["Date"]).utcoffset() is not None

    body = msg.get_content()
    assert "Grüße — if this line and the next arrive unchanged" in body
    # libcurl dot-stuffed the line on the wire and the sink un-stuffed it: it arrives as written.
    assert ".this line starts with a dot" in body.splitlines()

    raw = got["raw"]
    # The message on the wire is 7-bit, CRLF-terminated, with no overlong line.
    assert all(b < 0x80 for b in raw)
    lines = raw.split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 78


@pytest.mark.parametrize("smtp_sink", [("127.0.0.1", "nobody@example.com")], indirect=True)
def test_a_refused_recipient_fails_with_exit_1_and_no_secret_or_server_text(bin_dir, smtp_sink):
    p = mail_test(bin_dir, {"SMTP_URL": smtp_url(smtp_sink.port), "MAIL_FROM": SENDER}, "--to", "nobody@example.com")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "refused the recipient" in p.stderr and "550" in p.stderr
    assert REFUSAL_TEXT not in p.stderr + p.stdout
    assert_no_secret(p)
    assert smtp_sink.all() == []


def test_a_closed_port_fails_with_exit_1_and_does_not_print_the_password(bin_dir):
    port = free_port()  # nothing listens there once the probe socket is closed
    p = mail_test(bin_dir, {"SMTP_URL": smtp_url(port), "MAIL_FROM": SENDER}, "--to", "member@example.com")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "could not connect" in p.stderr and f"smtp://127.0.0.1:{port}" in p.stderr
    assert_no_secret(p)


def test_a_subject_with_a_line_break_is_refused_before_anything_is_sent(bin_dir, smtp_sink):
    env = {"SMTP_URL": smtp_url(smtp_sink.port), "MAIL_FROM": SENDER}
    p = mail_test(bin_dir, env, "--to", "member@example.com", "--subject", "Hi\r\nBcc: victim@example.com")
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "line break" in p.stderr
    p = mail_test(bin_dir, env, "--to", "member@example.com\r\nBcc: victim@example.com")
    assert p.returncode != 0
    assert smtp_sink.all() == []


def test_without_mail_settings_mail_is_disabled(bin_dir):
    p = mail_test(bin_dir, {}, "--to", "member@example.com")
    assert p.returncode == 1
    assert "mail is disabled" in p.stderr


def _non_loopback_ipv4() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing address
        except OSError:
            return None
        address = s.getsockname()[0]
    return None if address.startswith("127.") else address


def test_plain_smtp_to_a_non_loopback_host_requires_starttls_unless_allowed(bin_dir):
    host = _non_loopback_ipv4()
    if host is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    sink = Sink()
    controller = Controller(sink, hostname=host, port=free_port(host))  # aiosmtpd offers no STARTTLS
    controller.start()
    try:
        env = {"SMTP_URL": smtp_url(controller.port, host), "MAIL_FROM": SENDER}
        p = mail_test(bin_dir, env, "--to", "member@example.com")
        assert p.returncode == 1, (p.stdout, p.stderr)
        assert "does not offer STARTTLS" in p.stderr
        assert_no_secret(p)
        assert sink.all() == []  # the credentials and the message never crossed in the clear

        p = mail_test(bin_dir, {**env, "SMTP_ALLOW_PLAINTEXT": "true"}, "--to", "member@example.com")
        assert p.returncode == 0, p.stderr
        assert [m["to"] for m in sink.all()] == [["member@example.com"]]
    finally:
        controller.stop()


def test_the_development_mailbox_writes_one_parseable_private_eml_file(bin_dir, tmp_path):
    drop = tmp_path / "mailbox"
    p = mail_test(bin_dir, {"MAIL_DROP_DIR": str(drop)}, "--to", "member@example.com")
    assert p.returncode == 0, p.stderr
    files = list(drop.iterdir())
    assert len(files) == 1 and files[0].suffix == ".eml"
    assert str(files[0]) in p.stdout
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(drop.stat().st_mode) == 0o700
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert msg["To"] == "member@example.com"
    assert msg["From"].addresses[0].addr_spec == "noreply@localhost"
    assert msg["Subject"] == "OrderDesk MCP test message — ✓"
    body = msg.get_content()
    assert "Grüße" in body and ".this line starts with a dot" in body.splitlines()
    assert not [d for d in msg.defects] and not [d for part in msg.walk() for d in part.defects]
