#!/usr/bin/python3
"""A local HTTP server that answers like SendGrid's v3 API, for probe tests.

usage: sendgrid_stub.py STATE_DIR [BASE_PORT]

Serves a global and an EU "region" (api.sendgrid.com, api.eu.sendgrid.com)
and a third listener, "other" (the target of the redirect mode), on free ports
of 127.0.0.1, and prints one line:

  {"global": URL, "eu": URL, "other": URL,
   "keys": {"full": KEY, "send_only": KEY, "no_send": KEY, "eu": KEY}}

With BASE_PORT they listen on BASE_PORT, BASE_PORT+1 and BASE_PORT+2.
Every request authenticates with "Authorization: Bearer KEY". Keys:
  full       global; mail.send, whitelabel.read (and more)
  send_only  global; mail.send but not whitelabel.read
  no_send    global; whitelabel.read but not mail.send
  eu         EU region only; like full
A key of the other region is unknown there (401).

  GET /v3/scopes             200 {"scopes": [...]} (the key's scopes)
  GET /v3/whitelabel/domains 200 [authenticated domain, ...] of the region;
      query: domain (search: case-insensitive substring, as the client must
      compare names itself), username, limit, offset, exclude_subusers.
      global: sg.example.test (valid), sg-invalid.example.test (dkim1
      invalid, valid false), sg-manual.example.test (automatic_security off:
      mail_server/subdomain_spf/dkim records, valid). eu: sg-eu.example.test.
Errors use SendGrid's {"errors": [{"field": ..., "message": ...}]}:
  no or unknown key    401 {"errors": [{"field": null, "message": "authorization required"}]}
  key without whitelabel.read on /v3/whitelabel/domains
                       403 {"errors": [{"field": null, "message": "access forbidden"}]}
  limit/offset not a non-negative integer
                       400 {"errors": [{"field": "limit", "message": "..."}]}
  any other path       404 {"errors": [{"field": null, "message": "not found"}]}
  POST etc.            405 {"errors": [{"field": null, "message": "method not allowed"}]}

Hostile modes, chosen by the bearer key (so a test picks one through a
company's secret), on either region:
  echo-...      401 whose error message echoes the key back
  huge-...      200 with a 5 MiB body (valid JSON padded with spaces)
  slow-...      answers (as for the full key) after 30 s; other requests are
                served meanwhile and the server still exits when stdin closes
  redirect-...  302, Location: the same path on http://localhost:OTHER_PORT
                (another host name and port); "other" answers every request
                200 as the full key would get, as if it were the API

Every request is appended to STATE_DIR/requests.log as "REGION METHOD PATH"
(REGION global, eu or other; never a header or body; a query parameter named
key, api_key, apikey or token is logged as "[redacted]"). A request reaching
"other" with an Authorization header carrying a redirect-... key or a valid
key is also appended to STATE_DIR/leaks.log as "other METHOD PATH" (the key
itself is never written). Runs until stdin closes.
The printed line's "env" holds the variables that point mailform at it
(scripts/probe-lab.sh exports them).
"""
import os
import sys
import time
import urllib.parse

import stub_http
from stub_http import loggable_path

STATE = sys.argv[1]
SLOW_SECONDS = 30
HUGE_BYTES = 5 << 20

# SendGrid keys are 69 characters: "SG." + 22 + "." + 43.
KEYS = {
    "full": "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",
    "send_only": "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",
    "no_send": "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",
    "eu": "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",
}
BASE_SCOPES = ["2fa_required", "sender_verification_eligible"]
SCOPES = {
    "full": BASE_SCOPES + ["mail.send", "stats.read", "whitelabel.create", "whitelabel.delete",
                           "whitelabel.read", "whitelabel.update"],
    "send_only": BASE_SCOPES + ["mail.send"],
    "no_send": BASE_SCOPES + ["stats.read", "whitelabel.read"],
    "eu": BASE_SCOPES + ["mail.send", "stats.read", "whitelabel.create", "whitelabel.delete",
                         "whitelabel.read", "whitelabel.update"],
}
REGION_KEYS = {"global": ("full", "send_only", "no_send"), "eu": ("eu",)}

_other_port = [0]


def log(name, line):
    stub_http.log(STATE, name, line)


def errors(message, field=None):
    return {"errors": [{"field": field, "message": message}]}


def record(valid, rtype, host, data):
    return {"valid": valid, "type": rtype, "host": host, "data": data}


def automatic(id_, user_id, username, domain, valid=True, dkim1_valid=True):
    """An authenticated domain with automated security: three CNAMEs."""
    u = f"u{user_id}.wl{id_:03d}.sendgrid.net"
    return {
        "id": id_, "user_id": user_id, "subdomain": "em1234", "domain": domain, "username": username,
        "ips": [], "custom_spf": False, "default": id_ in (1, 11), "legacy": False,
        "automatic_security": True, "valid": valid,
        "dns": {
            "mail_cname": record(True, "cname", f"em1234.{domain}", u),
            "dkim1": record(dkim1_valid, "cname", f"s1._domainkey.{domain}", f"s1.domainkey.{u}"),
            "dkim2": record(True, "cname", f"s2._domainkey.{domain}", f"s2.domainkey.{u}"),
        },
        "subusers": [],
        "last_validation_attempt_at": 1745931600,
    }


def manual(id_, user_id, username, domain):
    """An authenticated domain without automated security: MX, SPF and DKIM TXT records."""
    return {
        "id": id_, "user_id": user_id, "subdomain": "mail", "domain": domain, "username": username,
        "ips": ["203.0.113.7"], "custom_spf": True, "default": False, "legacy": False,
        "automatic_security": False, "valid": True,
        "dns": {
            "mail_server": record(True, "mx", f"mail.{domain}", "mx.sendgrid.net."),
            "subdomain_spf": record(True, "txt", f"mail.{domain}", "v=spf1 ip4:203.0.113.7 -all"),
            "dkim": record(True, "txt", f"m1._domainkey.{domain}",
                           "k=rsa; t=s; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"),
        },
        "subusers": [],
        "last_validation_attempt_at": 1745931600,
    }


DOMAINS = {
    "global": [
        automatic(1, 7, "tenant-global", "sg.example.test"),
        automatic(2, 7, "tenant-global", "sg-invalid.example.test", valid=False, dkim1_valid=False),
        manual(3, 7, "tenant-global", "sg-manual.example.test"),
    ],
    "eu": [automatic(11, 9, "tenant-eu", "sg-eu.example.test")],
}


def handler_for(region):
    class Handler(stub_http.JSONHandler):

        def bearer(self):
            auth = self.headers.get("Authorization", "")
            scheme, _, token = auth.partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None

        def answer(self, region_name, key_name, path, query):
            """The answer for a known key of region_name on an existing path."""
            if path == "/v3/scopes":
                return self.send(200, {"scopes": SCOPES[key_name]})
            if "whitelabel.read" not in SCOPES[key_name]:
                return self.send(403, errors("access forbidden"))
            items = DOMAINS[region_name]
            params = urllib.parse.parse_qs(query)
            numbers = {}
            for name in ("limit", "offset"):
                value = params.get(name, [None])[0]
                if value is not None:
                    if not value.isdigit():
                        return self.send(400, errors(f"{name} must be a non-negative integer", name))
                    numbers[name] = int(value)
            if "domain" in params:
                needle = params["domain"][0].lower()
                items = [d for d in items if needle in d["domain"]]
            if "username" in params:
                items = [d for d in items if d["username"] == params["username"][0]]
            offset = numbers.get("offset", 0)
            items = items[offset:offset + numbers["limit"]] if "limit" in numbers else items[offset:]
            return self.send(200, items)

        def do_GET(self):
            log("requests.log", f"{region} GET {loggable_path(self.path)}")
            parts = urllib.parse.urlsplit(self.path)
            path = parts.path.rstrip("/") or "/"
            known_path = path in ("/v3/scopes", "/v3/whitelabel/domains")
            key = self.bearer()
            if region == "other":
                if key is not None and (key in KEYS.values() or key.startswith("redirect-")):
                    log("leaks.log", f"other GET {loggable_path(self.path)}")
                if not known_path:
                    return self.send(404, errors("not found"))
                return self.answer("global", "full", path, parts.query)
            if key is None:
                return self.send(401, errors("authorization required"))
            if key.startswith("echo-"):
                return self.send(401, errors(f"authorization required: the API key {key} is not valid"))
            if key.startswith("huge-"):
                opener, closer = (b'{"scopes": []', b"}") if path == "/v3/scopes" else (b"[", b"]")
                return self.send(200, opener + b" " * (HUGE_BYTES - len(opener) - len(closer)) + closer)
            if key.startswith("slow-"):
                time.sleep(SLOW_SECONDS)
                key = KEYS["full"] if region == "global" else KEYS["eu"]
            if key.startswith("redirect-"):
                return self.send(302, b"", [("Location", f"http://localhost:{_other_port[0]}{self.path}")])
            key_name = next((n for n in REGION_KEYS[region] if KEYS[n] == key), None)
            if key_name is None:
                return self.send(401, errors("authorization required"))
            if not known_path:
                return self.send(404, errors("not found"))
            return self.answer(region, key_name, path, parts.query)

        def not_allowed(self):
            log("requests.log", f"{region} {self.command} {loggable_path(self.path)}")
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                length = 0
            if 0 < length <= 1 << 20:
                self.rfile.read(length)
            else:
                self.close_connection = True
            self.send(405, errors("method not allowed"))

        do_POST = do_PUT = do_DELETE = do_PATCH = not_allowed

    return Handler


def main():
    os.makedirs(STATE, exist_ok=True)
    urls, ports = stub_http.serve(("global", "eu", "other"), handler_for)
    _other_port[0] = ports["other"]
    stub_http.run_until_stdin_closes({**urls, "keys": KEYS, "env": {"MAILFORM_SENDGRID_URL": urls["global"], "MAILFORM_SENDGRID_EU_URL": urls["eu"]}})


if __name__ == "__main__":
    main()
