#!/usr/bin/python3
"""Real SMTP servers on 127.0.0.1 for mailform's probe tests (aiosmtpd).

usage: smtp_server.py STATE_DIR [BASE_PORT]

Starts one listener per behaviour on free ports, writes a test CA and the
certificates it needs into STATE_DIR, prints one JSON line
{"ports": {...}, "ca_file": ...} on stdout, and runs until stdin closes (so a
test that dies leaves no server behind). Every MAIL, RCPT and DATA a client
sends is appended to STATE_DIR/forbidden.log: the probe must never send them.
"""
import asyncio
import datetime
import json
import os
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
import testcerts
from testcerts import context, make_leaf, now

USER = "probe@example.test"
PASSWORD = "correct-horse-battery"
STATE = sys.argv[1]
# With a base port, listeners take consecutive fixed ports (for examples/probe-lab).
BASE_PORT = int(sys.argv[2]) if len(sys.argv) > 2 else None
_next_fixed = [BASE_PORT]
FORBIDDEN = os.path.join(STATE, "forbidden.log")


class Recorder:
    """Records what a probe must never send."""

    def _log(self, what):
        with open(FORBIDDEN, "a") as f:
            f.write(what + "\n")

    async def handle_MAIL(self, server, session, envelope, address, options):
        self._log("MAIL " + address)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        self._log("RCPT " + address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self._log("DATA to " + ",".join(envelope.rcpt_tos))
        return "250 OK"


class NoAuthRecorder(Recorder):
    """Advertises no AUTH capability at all."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [r for r in responses if not r.startswith("250-AUTH") and not r.startswith("250 AUTH")]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)


class PlainController(Controller):
    """A controller whose server may use implicit TLS or offer no AUTH."""

    def __init__(self, handler, port, tls_context=None, require_starttls=False, auth=True, implicit=None):
        self._tls = tls_context
        self._require = require_starttls
        self._auth = auth
        super().__init__(handler, hostname="127.0.0.1", port=port, ssl_context=implicit,
                         server_hostname="localhost")

    def factory(self):
        kwargs = dict(hostname="localhost", tls_context=self._tls, require_starttls=self._require)
        if self._auth:
            kwargs.update(authenticator=authenticator, auth_require_tls=self._tls is not None and self._require)
        return SMTP(self.handler, **kwargs)


def free_port():
    if BASE_PORT is not None:
        port = _next_fixed[0]
        _next_fixed[0] += 1
        return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_server(port, behaviour):
    """Hostile or broken servers: silent, garbage instead of a banner, a banner
    dripped one byte a second, megabytes of EHLO, a close in the middle of
    AUTH, a STARTTLS answered with bytes that are not TLS, and a NOOP answered
    with a reply that never ends."""
    loop = asyncio.new_event_loop()

    async def handle(reader, writer):
        try:
            if behaviour == "garbage":
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
            elif behaviour == "drip":
                for byte in b"220 drip.example ESMTP\r\n":
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(1)
            elif behaviour in ("huge_ehlo", "close_mid_auth", "tls_garbage", "flood_noop"):
                writer.write(b"220 hostile ESMTP\r\n")
                await writer.drain()
                while True:
                    line = await reader.readline()
                    if not line:
                        break
                    verb = line.split(b" ", 1)[0].strip().upper()
                    if verb == b"EHLO" and behaviour == "huge_ehlo":
                        chunk = b"".join(b"250-X-PADDING-%07d %s\r\n" % (i, b"x" * 100) for i in range(1000))
                        for _ in range(40):  # about 4 MB
                            writer.write(chunk)
                            await writer.drain()
                        writer.write(b"250 HELP\r\n")
                    elif verb == b"EHLO" and behaviour == "flood_noop":
                        writer.write(b"250-hostile\r\n250 8BITMIME\r\n")
                    elif verb == b"NOOP" and behaviour == "flood_noop":
                        # A multi-line reply that never ends (until the client leaves).
                        chunk = (b"250-" + b"x" * 200 + b"\r\n") * 50
                        while True:
                            writer.write(chunk)
                            await writer.drain()
                    elif verb == b"EHLO" and behaviour == "close_mid_auth":
                        writer.write(b"250-hostile\r\n250 AUTH PLAIN LOGIN\r\n")
                    elif verb == b"EHLO":
                        writer.write(b"250-hostile\r\n250 STARTTLS\r\n")
                    elif verb == b"AUTH":
                        writer.close()
                        return
                    elif verb == b"STARTTLS":
                        writer.write(b"220 go ahead\r\n")
                        await writer.drain()
                        writer.write(b"\x15\x03\x03\x00\x02\x02\x28" + b"not tls at all" * 100)
                    elif verb == b"QUIT":
                        writer.write(b"221 bye\r\n")
                        await writer.drain()
                        break
                    else:
                        writer.write(b"250 OK\r\n")
                    await writer.drain()
            await asyncio.sleep(120)
        except ConnectionError:
            pass
        writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True).start()


def main():
    os.makedirs(STATE, exist_ok=True)
    def write_pem(name, cert, key=None):
        return testcerts.write_pem(STATE, name, cert, key)

    ca_cert, ca_key = testcerts.make_ca("mailform test CA")
    ca_file, _ = write_pem("ca", ca_cert)
    good = write_pem("good", *make_leaf(ca_cert, ca_key, "localhost", now() - datetime.timedelta(days=1), now() + datetime.timedelta(days=10)))
    expired = write_pem("expired", *make_leaf(ca_cert, ca_key, "localhost", now() - datetime.timedelta(days=30), now() - datetime.timedelta(days=1)))
    wrong = write_pem("wrong-host", *make_leaf(ca_cert, ca_key, "wrong.example", now() - datetime.timedelta(days=1), now() + datetime.timedelta(days=10)))
    selfsigned = write_pem("self-signed", *make_leaf(None, None, "localhost", now() - datetime.timedelta(days=1), now() + datetime.timedelta(days=10), self_signed=True))

    handler = Recorder()
    specs = {
        "starttls_auth": dict(tls_context=context(*good), require_starttls=True),
        "implicit_tls_auth": dict(implicit=context(*good)),
        "plain_auth": dict(),
        "no_auth": dict(tls_context=context(*good), require_starttls=True, auth=False),
        "self_signed": dict(tls_context=context(*selfsigned), require_starttls=True),
        "expired": dict(tls_context=context(*expired), require_starttls=True),
        "wrong_host": dict(tls_context=context(*wrong), require_starttls=True),
        "tls12_only": dict(tls_context=context(*good, max_version=ssl.TLSVersion.TLSv1_2), require_starttls=True),
    }
    ports = {}
    controllers = []
    for name, spec in specs.items():
        port = free_port()
        controller = PlainController(NoAuthRecorder() if spec.get("auth") is False else handler, port, **spec)
        controller.start()
        controllers.append(controller)
        ports[name] = port
    for name in ("silent", "garbage", "drip", "huge_ehlo", "close_mid_auth", "tls_garbage", "flood_noop"):
        port = free_port()
        raw_server(port, name)
        ports[name] = port
    # Nothing listens there, and nothing else may take the port while the
    # tests run: a bound socket that never listens answers connections with
    # a reset (a freed port was once taken by another test server, and the
    # "refused" case met a TLS server instead).
    refused = socket.socket()
    refused.bind(("127.0.0.1", free_port() if BASE_PORT is not None else 0))
    ports["refused"] = refused.getsockname()[1]
    print(json.dumps({"ports": ports, "ca_file": ca_file, "user": USER, "password": PASSWORD}), flush=True)
    sys.stdin.read()
    for controller in controllers:
        controller.stop()


if __name__ == "__main__":
    main()
