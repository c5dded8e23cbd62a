#!/usr/bin/python3
"""A local HTTP server that answers like Mailgun's domains API, for probe tests.

usage: mailgun_stub.py STATE_DIR [BASE_PORT]

Serves a US and an EU "region" on two free ports of 127.0.0.1 and prints
{"us": URL, "eu": URL, "key": KEY} on one line. GET /v4/domains/NAME with
basic auth api:KEY answers as Mailgun does: 200 with the domain and its
state, 401 "Forbidden" for a wrong key, 404 {"message": "Domain not found"}
for a domain of the other region or none. Every request is appended to
STATE_DIR/requests.log ("REGION METHOD PATH"). Runs until stdin closes.
The printed line's "env" holds the variables that point mailform at it
(scripts/probe-lab.sh exports them).
"""
import base64
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler

import stub_http

KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
STATE = sys.argv[1]
DOMAINS = {
    "us": {"mg.us.example.test": "active", "mg.unverified.example.test": "unverified", "mg.badspf.example.test": "active"},
    "eu": {"mg.eu.example.test": "active"},
}


def sending_records(name):
    """Mailgun's sending_dns_records: SPF and DKIM TXT records and the tracking
    CNAME, each with its verification state ("valid", "invalid", "unknown")."""
    spf_state = "invalid" if name == "mg.badspf.example.test" else "valid"
    return [
        {"record_type": "TXT", "valid": spf_state, "name": name, "value": "v=spf1 include:mailgun.org ~all"},
        {"record_type": "TXT", "valid": "valid", "name": f"k1._domainkey.{name}", "value": "k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"},
        {"record_type": "CNAME", "valid": "unknown", "name": f"email.{name}", "value": "mailgun.org"},
    ]


def handler_for(region):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send(self, status, body, content_type="application/json"):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            with open(os.path.join(STATE, "requests.log"), "a") as f:
                f.write(f"{region} GET {self.path}\n")
            auth = self.headers.get("Authorization", "")
            expected = "Basic " + base64.b64encode(f"api:{KEY}".encode()).decode()
            if auth != expected:
                return self.send(401, "Forbidden", "text/plain")
            if not self.path.startswith("/v4/domains/"):
                return self.send(404, json.dumps({"message": "Not found"}))
            name = self.path[len("/v4/domains/"):]
            if name == "hang.example.test":
                time.sleep(30)
                return self.send(200, "{}")
            if name == "error.example.test":
                return self.send(500, json.dumps({"message": "Internal error"}))
            if name == "huge.example.test":
                return self.send(200, b"{" + b" " * (3 << 20) + b"}")
            state = DOMAINS[region].get(name)
            if state is None:
                return self.send(404, json.dumps({"message": f"Domain not found: {name}"}))
            return self.send(200, json.dumps({"domain": {"name": name, "state": state}, "receiving_dns_records": [],
                                              "sending_dns_records": sending_records(name)}))

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            with open(os.path.join(STATE, "requests.log"), "a") as f:
                f.write(f"{region} POST {self.path} {body}\n")
            expected = "Basic " + base64.b64encode(f"api:{KEY}".encode()).decode()
            if self.headers.get("Authorization", "") != expected:
                return self.send(401, "Forbidden", "text/plain")
            if not self.path.startswith("/v3/") or not self.path.endswith("/messages"):
                return self.send(404, json.dumps({"message": "Not found"}))
            return self.send(200, json.dumps({"id": "<test@mailform>", "message": "Queued. Thank you."}))

    return Handler


def main():
    os.makedirs(STATE, exist_ok=True)
    urls, _ = stub_http.serve(("us", "eu"), handler_for)
    stub_http.run_until_stdin_closes({**urls, "key": KEY, "env": {"MAILFORM_MAILGUN_US_URL": urls["us"], "MAILFORM_MAILGUN_EU_URL": urls["eu"]}})


if __name__ == "__main__":
    main()
