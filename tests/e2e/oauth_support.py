"""Plumbing of the OAuth end-to-end tests (test_oauth.py): a local SMTP sink (aiosmtpd), the MCP
client's redirect URI (a tiny HTTP server), an HTTPS host for Client ID Metadata Documents
(tests/servers/cimd_server.py behind a fresh self-signed certificate), a headless Debian chromium
driven by selenium through /usr/bin/chromedriver (no browser download), a tenant member who signs
in and consents in that browser, and the real `mcp` 2.3.0 `OAuthClientProvider` wired to them.

Nothing here asserts on server behaviour beyond what it needs to find its way (a page it cannot
recognise raises with the page's text); tests do the asserting.

Screenshots of the three pages are written to docs/ only when ODMCP_SCREENSHOTS=1 (so CI never
rewrites tracked files); otherwise to the log directory.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2

from e2e_support import HTTP_TIMEOUT, REPO_ROOT, SECRETS, ManagedProcess, ToolResult

os.environ.setdefault("SE_OFFLINE", "true")  # Service(executable_path=...) skips Selenium Manager anyway

SCREENSHOTS_TO_DOCS = os.environ.get("ODMCP_SCREENSHOTS") == "1"
CHROMIUM = os.environ.get("ODMCP_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ODMCP_CHROMEDRIVER", "/usr/bin/chromedriver")
LINK_RE = re.compile(r"https?://\S+/signin/link\?\S+")
MAIL_SUBJECT = "Sign in to OrderDesk MCP"
SCOPES = ("orders:read", "orders:write", "stores:manage")


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (aiosmtpd 1.4.6 cannot bind port 0; the server's
    PUBLIC_BASE_URL must name its port before it starts)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# SMTP sink
# ---------------------------------------------------------------------------------------------


class MailSink:
    """aiosmtpd on 127.0.0.1: every delivered message, with its envelope, in arrival order."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[dict] = []
        self._cond = threading.Condition()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}/orderdesk.test"

    def start(self) -> "MailSink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's name
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._cond:
            self.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "msg": msg})
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[dict]:
        with self._cond:
            return [m for m in self.messages if address in m["to"]]

    def wait_for(self, address: str, count: int, timeout: float = 20.0) -> list[dict]:
        """Waits until `address` has received at least `count` messages; returns all of them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = [m for m in self.messages if address in m["to"]]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{address} received {len(got)} mails, expected {count} within {timeout}s")
                self._cond.wait(left)


def mail_body(message: dict) -> str:
    return message["msg"].get_content()


def sign_in_links(message: dict) -> list[str]:
    return LINK_RE.findall(mail_body(message))


# ---------------------------------------------------------------------------------------------
# The client's redirect URI
# ---------------------------------------------------------------------------------------------


class CallbackServer:
    """`http://127.0.0.1:<port>/callback`: answers a small page and records each query string."""

    def __init__(self) -> None:
        hits: list[dict[str, list[str]]] = []
        self.hits = hits

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # noqa: D401 - silence
                pass

            def do_GET(self):  # noqa: N802
                url = urllib.parse.urlsplit(self.path)
                if url.path != "/callback":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                hits.append(urllib.parse.parse_qs(url.query, keep_blank_values=True))
                body = b"<!doctype html><title>Client</title><h1>Back at the client</h1>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/callback"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# ---------------------------------------------------------------------------------------------
# Client ID Metadata Documents over HTTPS
# ---------------------------------------------------------------------------------------------


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A fresh P-256 certificate for IP 127.0.0.1 (the server trusts it via OAUTH_CIMD_CA_FILE)."""
    cert, key = directory / "cimd-cert.pem", directory / "cimd-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


class CimdHost(ManagedProcess):
    """tests/servers/cimd_server.py: `/client.json` (client_name "CIMD Test Client"), `/huge.json`,
    `/slow.json?seconds=N`, ... (see its docstring). `requests()` lists what was fetched."""

    CLIENT_NAME = "CIMD Test Client"

    def __init__(self, log_dir: Path, redirect_uris: list[str]):
        directory = log_dir / "cimd"
        directory.mkdir(exist_ok=True)
        self.cert, self.key = self_signed_certificate(directory)
        self.request_log = directory / "requests.log"
        argv = [sys.executable, str(REPO_ROOT / "tests/servers/cimd_server.py"), "--cert", str(self.cert)]
        argv += ["--key", str(self.key), "--log", str(self.request_log)]
        for uri in redirect_uris:
            argv += ["--redirect-uri", uri]
        super().__init__("cimd-server", argv, dict(os.environ), log_dir, r"cimd-server listening on (https://\S+)")

    def url(self, path: str) -> str:
        return self.base_url + path

    def requests(self) -> list[str]:
        try:
            return [line for line in self.request_log.read_text().splitlines() if line != "connect"]
        except FileNotFoundError:
            return []


# ---------------------------------------------------------------------------------------------
# The browser
# ---------------------------------------------------------------------------------------------


class Browser:
    """Headless Debian chromium (selenium 4.51.0, /usr/bin/chromedriver), a fresh profile each."""

    def __init__(self, log_dir: Path, name: str):
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service

        self.log_dir = log_dir
        self.name = name
        profile = log_dir / f"chrome-{name}"
        profile.mkdir(exist_ok=True)
        opts = Options()
        opts.binary_location = CHROMIUM
        for arg in (
            "--headless=new",
            "--no-sandbox",  # root in CI: the sandbox refuses to start
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--window-size=1100,900",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-sync",
            "--disable-component-update",
            "--disable-features=Translate,MediaRouter,OptimizationHints",
            "--password-store=basic",
            f"--user-data-dir={profile}",
        ):
            opts.add_argument(arg)
        service = Service(executable_path=CHROMEDRIVER, log_output=str(log_dir / f"chromedriver-{name}.log"))
        self.driver = webdriver.Chrome(service=service, options=opts)
        self.driver.set_page_load_timeout(30)

    def quit(self) -> None:
        try:
            self.driver.quit()
        except Exception:  # noqa: BLE001 - best effort at teardown
            pass

    # --- small helpers -----------------------------------------------------------------------

    def get(self, url: str) -> None:
        self.driver.get(url)

    @property
    def url(self) -> str:
        return self.driver.current_url

    def text(self) -> str:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.TAG_NAME, "body").text

    def has(self, element_id: str) -> bool:
        from selenium.webdriver.common.by import By

        return bool(self.driver.find_elements(By.ID, element_id))

    def by_id(self, element_id: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.ID, element_id)

    def all_css(self, selector: str) -> list:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def wait(self, predicate, timeout: float = 20.0, what: str = "the page") -> None:
        from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            # A page being replaced mid-check leaves stale elements: look again.
            WebDriverWait(
                self.driver, timeout, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
            ).until(lambda d: predicate())
        except Exception as e:  # noqa: BLE001 - re-raised with the page for diagnosis
            raise AssertionError(f"{self.name}: waited {timeout}s for {what}; at {self.url}: {self._page_text()[:800]}") from e

    def _page_text(self) -> str:
        try:
            return self.text()
        except Exception:  # noqa: BLE001
            return "<no page>"

    def h1(self) -> str:
        return " ".join(e.text for e in self.all_css("h1"))

    def cookies(self) -> dict[str, dict]:
        return {c["name"]: c for c in self.driver.get_cookies()}

    def screenshot(self, file_name: str) -> Path:
        """docs/<file_name> when ODMCP_SCREENSHOTS=1, else the log directory."""
        target = (REPO_ROOT / "docs" / file_name) if SCREENSHOTS_TO_DOCS else (self.log_dir / f"{self.name}-{file_name}")
        self.driver.save_screenshot(str(target))
        return target

    def post_form_without(self, form_css: str, drop: str) -> None:
        """Submits the page's form with its `drop` field removed (no JavaScript on the pages: the
        test edits the DOM through WebDriver, the way a forged cross-site form would omit it)."""
        self.driver.execute_script(
            "const f = document.querySelector(arguments[0]);"
            "for (const e of [...f.querySelectorAll('[name=\"' + arguments[1] + '\"]')]) e.remove();",
            form_css,
            drop,
        )


# ---------------------------------------------------------------------------------------------
# A tenant member at the browser
# ---------------------------------------------------------------------------------------------


@dataclass
class ConsentView:
    url: str
    client_name: str
    redirect_host: str
    scopes: dict[str, bool]  # requested scope → checked
    stores: list[str]  # OrderDesk store ids offered
    text: str


@dataclass
class Authorization:
    """What one pass through the pages saw and returned."""

    authorize_url: str
    signed_in: bool  # went through the sign-in page (False: the web session skipped it)
    consent: ConsentView | None
    redirect: dict[str, list[str]]  # the redirect URI's query
    mails: list[dict] = field(default_factory=list)
    link: str | None = None


class Member:
    """A person: an e-mail address, a mailbox in the sink, one browser. `authorize(url)` does what
    they do after the client opened the authorize URL: sign in if asked (e-mail, then the link from
    the mail, in the same browser), then answer the consent page."""

    def __init__(self, email_address: str, browser: Browser, sink: MailSink):
        self.email = email_address
        self.browser = browser
        self.sink = sink
        self.authorizations: list[Authorization] = []
        self.links: list[str] = []  # every sign-in link received (the DB scan looks for them)

    # --- pages, step by step (negative tests use these directly) --------------------------------

    def on_signin_page(self) -> bool:
        return self.browser.has("email") and self.browser.has("send-link")

    def on_consent_page(self) -> bool:
        return self.browser.has("allow") and self.browser.has("client-name")

    def submit_email(self, address: str | None = None, screenshots: bool = False) -> None:
        b = self.browser
        if screenshots:
            b.screenshot("oauth-signin.png")
        field_ = b.by_id("email")
        field_.clear()
        field_.send_keys(address or self.email)
        b.by_id("send-link").click()
        b.wait(lambda: "check your mail" in b.h1().lower(), what="the check-your-mail page")
        if screenshots:
            b.screenshot("oauth-check-mail.png")

    def receive_link(self, already: int) -> tuple[list[dict], str]:
        """Waits for mail number `already + 1`; returns all mails and the link of the newest."""
        mails = self.sink.wait_for(self.email, already + 1)
        links = sign_in_links(mails[-1])
        assert links, f"no sign-in link in the mail: {mail_body(mails[-1])!r}"
        for link in links:
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
            SECRETS.add_oauth_secret("sign-in link token", q.get("token", [None])[0])
            SECRETS.add_oauth_secret("authorization request id", q.get("request", [None])[0])
        self.links += links
        return mails, links[0]

    def read_consent(self) -> ConsentView:
        b = self.browser
        scopes = {e.get_attribute("value"): e.is_selected() for e in b.all_css('input[type="checkbox"][name="scope"]')}
        stores = [e.get_attribute("value") for e in b.all_css('input[type="checkbox"][name="store"]')]
        return ConsentView(
            url=b.url,
            client_name=b.by_id("client-name").text,
            redirect_host=b.by_id("redirect-host").text,
            scopes=scopes,
            stores=stores,
            text=b.text(),
        )

    def answer_consent(self, *, scopes: set[str] | None = None, stores: list[str] | None = None, allow: bool = True) -> None:
        """`scopes`: leave exactly these checked (None: as offered); `stores`: None = all stores,
        else "selected" with exactly these store ids."""
        b = self.browser
        if scopes is not None:
            for box in b.all_css('input[type="checkbox"][name="scope"]'):
                if box.is_selected() != (box.get_attribute("value") in scopes):
                    box.click()
        if stores is not None:
            b.by_id("stores-selected").click()
            for box in b.all_css('input[type="checkbox"][name="store"]'):
                if box.is_selected() != (box.get_attribute("value") in stores):
                    box.click()
        b.by_id("allow" if allow else "deny").click()

    # --- the whole pass -------------------------------------------------------------------------

    def authorize(
        self,
        url: str,
        *,
        scopes: set[str] | None = None,
        stores: list[str] | None = None,
        allow: bool = True,
        screenshots: bool = False,
    ) -> Authorization:
        b = self.browser
        redirect_uri = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("redirect_uri", [""])[0]
        b.get(url)
        b.wait(lambda: self.on_signin_page() or self.on_consent_page(), what="the sign-in or consent page")
        result = Authorization(authorize_url=url, signed_in=False, consent=None, redirect={})
        if self.on_signin_page():
            result.signed_in = True
            already = len(self.sink.to(self.email))
            self.submit_email(screenshots=screenshots)
            result.mails, result.link = self.receive_link(already)
            b.get(result.link)
            b.wait(self.on_consent_page, what="the consent page after the link")
        result.consent = self.read_consent()
        rid = urllib.parse.parse_qs(urllib.parse.urlsplit(result.consent.url).query).get("request", [None])[0]
        SECRETS.add_oauth_secret("authorization request id", rid)
        if screenshots:
            b.screenshot("oauth-consent.png")
        self.answer_consent(scopes=scopes, stores=stores, allow=allow)
        b.wait(lambda: redirect_uri and b.url.startswith(redirect_uri), what=f"the redirect to {redirect_uri}")
        result.redirect = urllib.parse.parse_qs(urllib.parse.urlsplit(b.url).query, keep_blank_values=True)
        SECRETS.add_oauth_secret("authorization code", result.redirect.get("code", [None])[0])
        for name in ("__Host-odmcp_web", "__Host-odmcp_signin", "__Host-odmcp_browser"):
            SECRETS.add_oauth_secret(f"cookie {name}", b.cookies().get(name, {}).get("value"))
        self.authorizations.append(result)
        return result


# ---------------------------------------------------------------------------------------------
# The real mcp 2.3.0 OAuth client
# ---------------------------------------------------------------------------------------------


class MemoryStorage:
    """mcp's TokenStorage protocol, in memory."""

    def __init__(self) -> None:
        self.tokens = None
        self.client_info = None
        self.token_history: list[Any] = []

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens) -> None:
        SECRETS.add_oauth_secret("access token", tokens.access_token)
        SECRETS.add_oauth_secret("refresh token", tokens.refresh_token)
        self.tokens = tokens
        self.token_history.append(tokens)

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info) -> None:
        self.client_info = client_info


@dataclass
class Exchange:
    method: str
    url: str
    path: str
    status: int
    request_headers: dict[str, str]
    response_headers: dict[str, str]
    request_body: bytes
    response_body: bytes | None


class OAuthClient:
    """`OAuthClientProvider` (DCR, or CIMD with `client_metadata_url`) whose redirect handler hands the
    authorize URL to `member` in a worker thread (selenium is synchronous). `choices` steers the next
    consent (scopes, stores, allow). Every HTTP exchange the provider's client makes is in `exchanges`."""

    def __init__(
        self,
        mcp_url: str,
        member: Member,
        redirect_uri: str,
        *,
        client_name: str = "E2E OAuth Client",
        client_metadata_url: str | None = None,
        screenshots: bool = False,
    ):
        from mcp.client.auth import OAuthClientProvider
        from mcp.shared.auth import OAuthClientMetadata

        self.mcp_url = mcp_url
        self.member = member
        self.storage = MemoryStorage()
        self.exchanges: list[Exchange] = []
        self.authorize_urls: list[str] = []
        self.choices: dict[str, Any] = {}
        self.screenshots = screenshots
        self._result = None
        metadata = OAuthClientMetadata(
            client_name=client_name, redirect_uris=[redirect_uri], token_endpoint_auth_method="none"
        )
        self.provider = OAuthClientProvider(
            mcp_url,
            metadata,
            self.storage,
            redirect_handler=self._redirect,
            callback_handler=self._callback,
            client_metadata_url=client_metadata_url,
        )

    async def _redirect(self, url: str) -> None:
        import anyio

        self.authorize_urls.append(url)
        choices = dict(self.choices)
        screenshots, self.screenshots = self.screenshots, False
        self._result = await anyio.to_thread.run_sync(
            lambda: self.member.authorize(url, screenshots=screenshots, **choices)
        )

    async def _callback(self):
        from mcp.shared.auth import AuthorizationCodeResult

        got, self._result = self._result, None
        q = got.redirect
        if "code" not in q:
            raise RuntimeError(f"the authorization server redirected without a code: {q}")
        return AuthorizationCodeResult(code=q["code"][0], state=q.get("state", [None])[0], iss=q.get("iss", [None])[0])

    @property
    def last_authorization(self) -> Authorization:
        return self.member.authorizations[-1]

    def http_client(self) -> httpx2.AsyncClient:
        async def on_response(response: httpx2.Response) -> None:
            req = response.request
            ctype = response.headers.get("content-type", "")
            body = await response.aread() if "event-stream" not in ctype else None
            try:
                sent = req.content
            except httpx2.RequestNotRead:
                sent = b""
            self.exchanges.append(
                Exchange(
                    req.method,
                    str(req.url),
                    req.url.path,
                    response.status_code,
                    dict(req.headers),
                    dict(response.headers),
                    sent,
                    body,
                )
            )

        return httpx2.AsyncClient(auth=self.provider, timeout=HTTP_TIMEOUT, event_hooks={"response": [on_response]})

    @asynccontextmanager
    async def session(self, mode: str = "2026-07-28"):
        from mcp import Client
        from mcp.client.streamable_http import streamable_http_client

        http = self.http_client()
        async with http, Client(streamable_http_client(self.mcp_url, http_client=http), mode=mode, read_timeout_seconds=120) as c:
            yield OAuthTools(c, self)

    # --- what the exchanges show -------------------------------------------------------------

    def requests_to(self, path: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.path == path]

    def paths(self) -> list[str]:
        return [f"{e.method} {e.path} {e.status}" for e in self.exchanges]

    @property
    def tokens(self):
        return self.storage.tokens

    @property
    def client_id(self) -> str:
        return self.storage.client_info.client_id


class OAuthTools:
    """A connected client with `tool()` returning the e2e suite's ToolResult."""

    def __init__(self, client, owner: OAuthClient):
        self.client = client
        self.owner = owner

    async def tool(self, name: str, args: dict | None = None) -> ToolResult:
        before = len(self.owner.exchanges)
        result = await self.client.call_tool(name, args or {})
        calls = [e for e in self.owner.exchanges[before:] if e.path.endswith("/mcp") and b'"tools/call"' in e.request_body]
        raw = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        return ToolResult(raw, calls[-1].response_headers.get("x-request-id", "") if calls else "")


# ---------------------------------------------------------------------------------------------
# Raw HTTP against the authorization server (negative tests)
# ---------------------------------------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    import base64
    import secrets

    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def authorize_url(base: str, client_id: str, redirect_uri: str, challenge: str, **extra: str) -> tuple[str, str]:
    """An authorize URL as mcp 2.3.0 builds it; returns (url, state)."""
    import secrets

    state = secrets.token_urlsafe(16)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": base + "/mcp",
        "scope": "orders:read",
    }
    params.update(extra)
    params = {k: v for k, v in params.items() if v is not None}
    return base + "/oauth/authorize?" + urllib.parse.urlencode(params), state


def register_client(base: str, redirect_uri: str, name: str = "E2E Raw Client") -> dict:
    r = httpx2.post(
        base + "/oauth/register",
        json={
            "client_name": name,
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        },
        timeout=HTTP_TIMEOUT,
    )
    assert r.status_code == 201, f"register: {r.status_code} {r.text[:500]}"
    return r.json()


def token_request(base: str, **form: str | None) -> httpx2.Response:
    r = httpx2.post(base + "/oauth/token", data={k: v for k, v in form.items() if v is not None}, timeout=HTTP_TIMEOUT)
    if r.status_code == 200 and "json" in r.headers.get("content-type", ""):
        body = r.json()
        SECRETS.add_oauth_secret("access token", body.get("access_token"))
        SECRETS.add_oauth_secret("refresh token", body.get("refresh_token"))
    return r


def revoke(base: str, **form: str) -> httpx2.Response:
    return httpx2.post(base + "/oauth/revoke", data=form, timeout=HTTP_TIMEOUT)


def modern_tool_call(mcp_url: str, token: str | None, tool: str, args: dict | None = None) -> httpx2.Response:
    """One stateless (2026-07-28) tools/call with a Bearer token (None: without credentials), by
    hand: no provider, so a 401 is seen as it is instead of starting a browser flow."""
    from e2e_support import modern_meta

    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": args or {}, "_meta": modern_meta()},
    }
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
    }
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx2.post(mcp_url, content=json.dumps(body), headers=headers, timeout=HTTP_TIMEOUT)


def tool_payload(r: httpx2.Response) -> dict:
    """structuredContent of a 200 tools/call answer (JSON or a one-event SSE stream)."""
    text = r.text
    if r.headers.get("content-type", "").startswith("text/event-stream"):
        data = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        text = data[-1] if data else "{}"
    body = json.loads(text)
    assert "result" in body, f"JSON-RPC error: {body}"
    return body["result"]


def www_authenticate(r: httpx2.Response) -> dict[str, str]:
    """The auth-params of a Bearer challenge."""
    header = r.headers.get("www-authenticate", "")
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in re.finditer(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', header)}


