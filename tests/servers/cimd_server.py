#!/usr/bin/env python3
"""A tiny HTTPS server that plays an MCP client's Client ID Metadata Document host, for tests.

Standard library only (http.server + ssl), so the Swift tests can start it with a bare python3:

    python3 tests/servers/cimd_server.py --cert cert.pem --key key.pem --log requests.log \
        [--port 0] [--redirect-uri http://127.0.0.1:33333/callback ...]

It prints `cimd-server listening on https://127.0.0.1:PORT` once it accepts connections, and appends
one line per accepted TCP connection (`connect`, written before the TLS handshake) and per request
(`GET /path`) to the log file, so a test can tell whether a refused fetch ever reached it.

Paths (the documents' client_id is built from the server's own address):
  /client.json           a good document (redirect_uris from --redirect-uri)
  /no-store.json         a good document served with Cache-Control: no-store
  /huge.json             valid JSON far over 5 KiB, with Content-Length
  /huge-stream.json      the same without Content-Length (read until the connection closes)
  /slow.json             headers at once, the body after ?seconds= (default 5)
  /redirect.json         302 to /client.json
  /wrong-type.json       a good document as text/html
  /mismatch.json         a document whose client_id is /client.json's URL
  /invalid.json          not JSON
  /bad-name.json         client_name with a control character
  anything else          404
"""

import argparse
import json
import os
import signal
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG_LOCK = threading.Lock()


def log(path, line):
    with LOG_LOCK, open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, context, log_path, redirect_uris):
        super().__init__(address, handler)
        self.context = context
        self.log_path = log_path
        self.redirect_uris = redirect_uris

    def get_request(self):
        connection, address = self.socket.accept()
        # Logged before the handshake: a refused fetch must not even get this far.
        log(self.log_path, "connect")
        connection.settimeout(10)
        return self.context.wrap_socket(connection, server_side=True), address

    @property
    def base(self):
        host, port = self.server_address[:2]
        return f"https://{host}:{port}"


class Handler(BaseHTTPRequestHandler):
    server_version = "cimd-test"

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        pass

    def document(self, path, **overrides):
        body = {
            "client_id": self.server.base + path,
            "client_name": "CIMD Test Client",
            "client_uri": self.server.base,
            "redirect_uris": self.server.redirect_uris,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }
        body.update(overrides)
        return json.dumps(body).encode()

    def send(self, status, body, content_type="application/json", headers=None, length=True):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's naming
        url = urllib.parse.urlsplit(self.path)
        log(self.server.log_path, f"GET {url.path}")
        path = url.path
        padding = "x" * (64 * 1024)
        if path == "/client.json":
            self.send(200, self.document(path))
        elif path == "/no-store.json":
            self.send(200, self.document(path), headers={"Cache-Control": "no-store"})
        elif path == "/huge.json":
            self.send(200, self.document(path, padding=padding))
        elif path == "/huge-stream.json":
            self.close_connection = True
            self.send(200, self.document(path, padding=padding), length=False)
        elif path == "/slow.json":
            seconds = float(urllib.parse.parse_qs(url.query).get("seconds", ["5"])[0])
            body = self.document(path + ("?" + url.query if url.query else ""))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.flush()
            time.sleep(seconds)
            self.wfile.write(body)
        elif path == "/redirect.json":
            self.send(302, b"", headers={"Location": self.server.base + "/client.json"})
        elif path == "/wrong-type.json":
            self.send(200, self.document(path), content_type="text/html")
        elif path == "/mismatch.json":
            self.send(200, self.document(path, client_id=self.server.base + "/client.json"))
        elif path == "/invalid.json":
            self.send(200, b'{"client_id": ')
        elif path == "/bad-name.json":
            self.send(200, self.document(path, client_name="Evil\u0007Client"))
        else:
            self.send(404, b'{"error":"not found"}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--redirect-uri", action="append", default=[])
    args = parser.parse_args()
    # A parent may start us with SIGTERM blocked or ignored (Swift's Foundation.Process does);
    # stopping must still be immediate.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    open(args.log, "a", encoding="utf-8").close()
    redirect_uris = args.redirect_uri or ["http://127.0.0.1:33333/callback"]
    server = Server((args.host, args.port), Handler, context, args.log, redirect_uris)
    print(f"cimd-server listening on {server.base}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
