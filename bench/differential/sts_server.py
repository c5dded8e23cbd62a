#!/usr/bin/env python3
"""HTTPS server for the corpus's MTA-STS policies on 127.0.0.1:PORT.

  sts_server.py STATE PORT POLICIES_JSON

POLICIES_JSON maps a host (mta-sts.<domain>) to {status, ctype, body, cert};
cert is ok | expired | wronghost | selfsigned. Each host gets its own leaf
certificate (picked by SNI) from a CA written to STATE/ca.crt (certificate
code: Tests/Servers/testcerts.py). Unknown hosts: 404. Prints one JSON line
{"port": N, "ca_file": PATH} when ready; runs until killed (by PID).
"""
import datetime
import json
import os
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Tests", "Servers"))
import testcerts  # noqa: E402
from testcerts import make_leaf, now  # noqa: E402

STATE, PORT, POLICIES = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3]))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        p = POLICIES.get(host)
        if self.path != "/.well-known/mta-sts.txt" or p is None:
            return self.answer(404, "text/plain", b"not found\n")
        extra = {}
        if 300 <= p["status"] < 400:
            extra["Location"] = "https://%s/.well-known/mta-sts.txt" % host
        self.answer(p["status"], p["ctype"], p["body"].encode(), extra)

    def answer(self, status, ctype, body, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


def main():
    os.makedirs(STATE, exist_ok=True)
    ca_cert, ca_key = testcerts.make_ca("mailform differential CA")
    ca_file, _ = testcerts.write_pem(STATE, "ca", ca_cert)
    good = (now() - datetime.timedelta(days=1), now() + datetime.timedelta(days=29))
    contexts = {}
    for host, p in POLICIES.items():
        kind = p.get("cert", "ok")
        if kind == "expired":
            cert = make_leaf(ca_cert, ca_key, host, now() - datetime.timedelta(days=10), now() - datetime.timedelta(days=1))
        elif kind == "wronghost":
            cert = make_leaf(ca_cert, ca_key, "other.invalid", *good)
        elif kind == "selfsigned":
            cert = make_leaf(ca_cert, ca_key, host, *good, self_signed=True)
        else:
            cert = make_leaf(ca_cert, ca_key, host, *good)
        crt, key = testcerts.write_pem(STATE, host, *cert)
        contexts[host] = testcerts.context(crt, key)
    fallback = testcerts.write_pem(STATE, "fallback", *make_leaf(ca_cert, ca_key, "fallback.invalid", *good))

    def pick(sock, name, _ctx):
        if name and name.lower() in contexts:
            sock.context = contexts[name.lower()]

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*fallback)
    ctx.sni_callback = pick
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    server.daemon_threads = True
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    print(json.dumps({"port": server.server_address[1], "ca_file": ca_file}), flush=True)
    server.serve_forever()


main()
