#!/usr/bin/env python3
"""An HTTPS server for MTA-STS policies (RFC 8461 section 3.3) on 127.0.0.1.

  mta_sts_lab.py STATE [PORT]

Serves https://mta-sts.<domain>/.well-known/mta-sts.txt for the domains of
Tests/Servers/dns/zones/sts.test.zone, each with its case (below), and a
certificate per host name from the lab's CA (STATE/ca.crt). Prints one JSON
line {"port": N, "ca_file": PATH} when ready; runs until stdin closes.
Without PORT it takes a free one.

Cases, by the domain under sts.test:
  enforce, mismatch, manymx   a valid policy (mismatch: its mx lines miss the MX;
                              manymx: 1,000 mx lines, the last one matches)
  testing, none               mode testing / none
  expiring                    a valid policy; the certificate expires in 5 days
  redirect                    301 to itself, forever (senders follow no redirect)
  huge                        a 10 MB body
  hang                        accepts the connection and never answers
  badtype                     served as text/html
  badpolicy                   mode: strict
  expired                     a certificate that expired yesterday
"""
import datetime
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testcerts  # noqa: E402
from testcerts import make_leaf, now  # noqa: E402

STATE = sys.argv[1]
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 0


def policy(mode, mx):
    return "version: STSv1\r\nmode: %s\r\n%smax_age: 604800\r\n" % (mode, "".join("mx: %s\r\n" % m for m in mx))


CASES = {
    "enforce": policy("enforce", ["mx.enforce.sts.test"]),
    "mismatch": policy("enforce", ["*.elsewhere.test"]),
    "manymx": policy("enforce", ["mx%d.other.test" % i for i in range(999)] + ["*.manymx.sts.test"]),
    "testing": policy("testing", ["mx.testing.sts.test"]),
    "none": "version: STSv1\nmode: none\nmax_age: 86400\n",
    "expiring": policy("enforce", ["mx.expiring.sts.test"]),
    "expired": policy("enforce", ["mx.expired.sts.test"]),
    "badtype": policy("enforce", ["mx.badtype.sts.test"]),
    "badpolicy": "version: STSv1\nmode: strict\nmx: mx.badpolicy.sts.test\nmax_age: 604800\n",
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        case = host[len("mta-sts."):-len(".sts.test")] if host.startswith("mta-sts.") and host.endswith(".sts.test") else ""
        if self.path != "/.well-known/mta-sts.txt":
            return self.answer(404, "text/plain", b"not found\n")
        if case == "redirect":
            self.send_response(301)
            self.send_header("Location", "https://%s/.well-known/mta-sts.txt" % host)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if case == "hang":
            time.sleep(60)
            return
        if case == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(10 * 1024 * 1024))
            self.end_headers()
            chunk = b"mx: x.huge.sts.test\r\n" * 3000
            try:
                for _ in range(10 * 1024 * 1024 // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass
            return
        body = CASES.get(case)
        if body is None:
            return self.answer(404, "text/plain", b"no such policy\n")
        self.answer(200, "text/html" if case == "badtype" else "text/plain; charset=utf-8", body.encode())

    def answer(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    os.makedirs(STATE, exist_ok=True)
    ca_cert, ca_key = testcerts.make_ca("mailform MTA-STS lab CA")
    ca_file, _ = testcerts.write_pem(STATE, "ca", ca_cert)
    contexts = {}
    for case in list(CASES) + ["redirect", "huge", "hang"]:
        host = "mta-sts.%s.sts.test" % case
        if case == "expiring":
            window = (now() - datetime.timedelta(days=1), now() + datetime.timedelta(days=5, hours=1))
        elif case == "expired":
            window = (now() - datetime.timedelta(days=10), now() - datetime.timedelta(days=1))
        else:
            window = (now() - datetime.timedelta(days=1), now() + datetime.timedelta(days=29))
        cert, key = testcerts.write_pem(STATE, host, *make_leaf(ca_cert, ca_key, host, *window))
        contexts[host] = testcerts.context(cert, key)
    default = next(iter(contexts.values()))

    def pick(sock, name, _ctx):
        if name in contexts:
            sock.context = contexts[name]

    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    first = os.path.join(STATE, "mta-sts.enforce.sts.test")
    server_ctx.load_cert_chain(first + ".crt", first + ".key")
    server_ctx.sni_callback = pick
    del default
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    server.daemon_threads = True
    server.socket = server_ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"port": server.server_address[1], "ca_file": ca_file}), flush=True)
    sys.stdin.read()


main()
