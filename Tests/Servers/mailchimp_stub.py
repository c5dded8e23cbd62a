#!/usr/bin/python3
"""A local HTTP server that answers like Mailchimp Transactional (formerly
Mandrill) API 1.0, for probe tests.

usage: mailchimp_stub.py STATE_DIR [BASE_PORT]

Serves the API on a free port of 127.0.0.1 ("main") and a second listener
("other", the target of the redirect mode) and prints one line:

  {"url": URL, "other_url": URL, "key": KEY}

With BASE_PORT, main listens on BASE_PORT and other on BASE_PORT+1.
Requests (docs/provider-apis.md has the shapes and their sources):

  POST /api/1.0/users/ping2      body {"key": KEY} -> 200 {"PING": "PONG!"}
  POST /api/1.0/senders/domains  body {"key": KEY} -> 200 [sender domain, ...]
  (a ".json" suffix, as the old clients send, and /api/1.x are accepted too)

Errors use Mandrill's shape {"status": "error", "code", "name", "message"}:
  unknown key            401 {"code": 401, "name": "Invalid_Key",
                              "message": "Invalid API key"} (since Feb 2023)
  body not JSON, not an object, or without a string "key"
                         400 {"code": -2, "name": "ValidationError", ...}
  unknown method path    404 {"code": -1, "name": "Unknown_Method", ...}
  GET etc.               405 {"code": -1, "name": "GeneralError", ...}

Hostile modes, chosen by the key the client sends (so a test picks one through
a company's secret):
  echo-...      401 Invalid_Key whose message echoes the key back
  huge-...      200 with a 5 MiB body (valid JSON padded with spaces)
  slow-...      answers (as for the valid key) after 30 s; other requests are
                served meanwhile and the server still exits when stdin closes
  redirect-...  302, Location: the same path on http://localhost:OTHER_PORT
                (another host name and port); "other" answers every request
                200 {"PING": "PONG!"} / the domain list, as if it were the API
  legacy-...    the pre-2023 answer to a wrong key: HTTP 500 with
                {"status": "error", "code": -1, "name": "Invalid_Key", ...}

Every request is appended to STATE_DIR/requests.log as "REGION METHOD PATH"
(REGION main or other; never a body; a query parameter named key, api_key,
apikey or token is logged as "[redacted]"). A request that reaches "other"
carrying the key it was redirected with (or the valid key) is also appended to
STATE_DIR/leaks.log as "other METHOD PATH" (the key itself is never written).
Runs until stdin closes.
The printed line's "env" holds the variables that point mailform at it
(scripts/probe-lab.sh exports them).
"""
import json
import os
import re
import sys
import time
import urllib.parse

import stub_http
from stub_http import loggable_path

# 22 characters, the length and alphabet of the key in Mailchimp's own example.
KEY = "Zq7Xv2LmP9sRt4Kw8NbYc1"
STATE = sys.argv[1]
SLOW_SECONDS = 30
HUGE_BYTES = 5 << 20
MAX_BODY = 1 << 20
PATH = re.compile(r"^/api/1\.[0-9]+/(users/ping2|senders/domains)(\.json)?$")

_other_port = [0]


def log(name, line):
    stub_http.log(STATE, name, line)


def error(code, name, message):
    return {"status": "error", "code": code, "name": name, "message": message}


def check(valid, error_text=None, valid_after=None):
    return {"valid": valid, "valid_after": valid_after, "error": error_text}


SPF_ERROR = "This domain has an SPF record, but it doesn't include Mandrill."
DKIM_ERROR = ("does not match the required CNAME target of dkim1.mandrillapp.com. "
              "Please verify that the target was entered exactly as requested and try again.")
DKIM2_ERROR = ("does not match the required CNAME target of dkim2.mandrillapp.com. "
               "Please verify that the target was entered exactly as requested and try again.")


def sender_domains():
    """The account's sending domains, with the fields of POST /senders/domains
    (dates are UTC "YYYY-MM-DD HH:MM:SS" strings, as the API gives them)."""
    def domain(name, spf, dkim, dkim2, verified_at, valid_signing, txt_key):
        return {
            "domain": name,
            "created_at": "2025-04-15 13:22:49",
            "last_tested_at": "2025-04-29 13:00:00",
            "spf": spf,
            "dkim": dkim,
            "dkim2": dkim2,
            "dmarc": {"valid": True, "error": None},
            "verified_at": verified_at,
            "valid_signing": valid_signing,
            "verify_txt_key": txt_key,
        }
    return [
        domain("mc.example.test", check(True), check(True, valid_after="2025-04-15 13:00:00"), check(True),
               "2025-04-20 13:00:00", True, "wtwm-d3lEsGLX6yeb24weA"),
        # Records right but ownership never verified: valid_signing is false.
        domain("mc-unverified.example.test", check(True), check(True), check(True),
               None, False, "Kp3s-Q1xVb7nRtYw2LmZ0a"),
        domain("mc-badspf.example.test", check(False, SPF_ERROR), check(True), check(True),
               "2025-04-20 13:00:00", False, "Hd8f-N4cTq2wXe6RyUo1bA"),
        domain("mc-baddkim.example.test", check(True), check(False, DKIM_ERROR), check(False, DKIM2_ERROR),
               "2025-04-20 13:00:00", False, "Lm5g-B9vWs3kJh7PaDf0eQ"),
        # Verified, SPF and one DKIM key valid, yet Mandrill will not sign.
        domain("mc-nosign.example.test", check(True), check(True), check(False, DKIM2_ERROR),
               "2025-04-20 13:00:00", False, "Qw2e-R4tYu6iOp8AsDf0gH"),
    ]


def success(method):
    return {"PING": "PONG!"} if method == "users/ping2" else sender_domains()


def handler_for(region):
    class Handler(stub_http.JSONHandler):
        content_type = "application/json; charset=utf-8"

        def read_body(self):
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                length = 0
            if length > MAX_BODY:
                self.close_connection = True
                return None
            return self.rfile.read(length) if length > 0 else b""

        def do_POST(self):
            log("requests.log", f"{region} POST {loggable_path(self.path)}")
            body = self.read_body()
            match = PATH.match(urllib.parse.urlsplit(self.path).path)
            key, malformed = None, body is None
            if body:
                try:
                    parsed = json.loads(body)
                    if isinstance(parsed, dict) and isinstance(parsed.get("key"), str):
                        key = parsed["key"]
                except (ValueError, UnicodeDecodeError):
                    malformed = True
            if region == "other":
                if key is not None and (key == KEY or key.startswith("redirect-")):
                    log("leaks.log", f"other POST {loggable_path(self.path)}")
                return self.send(200, success(match.group(1) if match else "users/ping2"))
            if match is None:
                return self.send(404, error(-1, "Unknown_Method", "The requested method does not exist"))
            if malformed:
                return self.send(400, error(-2, "ValidationError", "Validation error: the request body is not valid JSON"))
            if key is None:
                return self.send(400, error(-2, "ValidationError", "You must specify a key value"))
            method = match.group(1)
            if key.startswith("echo-"):
                return self.send(401, error(401, "Invalid_Key", f"Invalid API key: {key}"))
            if key.startswith("huge-"):
                opener, closer = (b'{"PING": "PONG!"', b"}") if method == "users/ping2" else (b"[", b"]")
                return self.send(200, opener + b" " * (HUGE_BYTES - len(opener) - len(closer)) + closer)
            if key.startswith("slow-"):
                time.sleep(SLOW_SECONDS)
                return self.send(200, success(method))
            if key.startswith("redirect-"):
                location = f"http://localhost:{_other_port[0]}{self.path}"
                return self.send(302, b"", [("Location", location)])
            if key.startswith("legacy-"):
                return self.send(500, error(-1, "Invalid_Key", "Invalid API key"))
            if key != KEY:
                return self.send(401, error(401, "Invalid_Key", "Invalid API key"))
            return self.send(200, success(method))

        def not_allowed(self):
            log("requests.log", f"{region} {self.command} {loggable_path(self.path)}")
            self.send(405, error(-1, "GeneralError", "Method Not Allowed: use POST"))

        do_GET = do_PUT = do_DELETE = do_PATCH = not_allowed

    return Handler


def main():
    os.makedirs(STATE, exist_ok=True)
    urls, ports = stub_http.serve(("main", "other"), handler_for)
    _other_port[0] = ports["other"]
    stub_http.run_until_stdin_closes({"url": urls["main"], "other_url": urls["other"], "key": KEY, "env": {"MAILFORM_MAILCHIMP_URL": urls["main"]}})


if __name__ == "__main__":
    main()
