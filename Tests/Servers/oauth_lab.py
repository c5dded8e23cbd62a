#!/usr/bin/python3
"""OAuth 2.0 token endpoints and XOAUTH2 SMTP servers on 127.0.0.1, for probe tests.

usage: oauth_lab.py STATE_DIR [BASE_PORT]

One process, one HTTP server and five aiosmtpd servers. Prints one JSON line
on stdout and runs until stdin closes (so a test that dies leaves no server
behind):

  {"ports": {NAME: PORT, ...}, "ca_file": PATH, "microsoft_url": URL,
   "google_url": URL, "generic_token_url": URL, "token_port": PORT,
   "microsoft": {"tenant", "client_id", "client_secret", "expired_client_id",
                 "expired_client_secret", "mailbox", "nosend_mailbox", "scope"},
   "google": {"service_account_key", "other_key", "subject", "client_email", "scope"},
   "generic": {"client_id", "client_secret"}}

With BASE_PORT the token HTTP server listens on BASE_PORT and the SMTP servers
on BASE_PORT+1 .. BASE_PORT+6 in this order: xoauth2_microsoft,
xoauth2_google, basic_disabled, basic_disabled_tenant, basic_not_supported, xoauth2_echo (hostile: echoes the AUTH string in a 334).
Without it every listener takes a free port.

Token endpoints (ThreadingHTTPServer), answering like the real services:
  POST {microsoft_url}/{tenant}/oauth2/v2.0/token   Microsoft Entra ID,
      client_credentials with client_id/client_secret/scope; errors carry
      error, error_description ("AADSTSnnnn: ..."), error_codes, timestamp,
      trace_id, correlation_id, error_uri. Tenant "notjson-tenant" (or "notjson.example.test") answers 200
      text/html (a broken proxy). The tenant may also be given as the domain
      m365.example.test. Scope must be https://outlook.office365.com/.default.
  POST {google_url}/token   Google, jwt-bearer grant with an RS256 assertion
      signed by STATE_DIR/google-sa.json (written at start, Google's
      service-account key format). STATE_DIR/google-sa-other.json has the same
      client_email but a key the endpoint does not know (signature fails);
      STATE_DIR/google-sa-encrypted.json holds the right key, encrypted.
      Only sub mailer@google.example.test is delegated; a missing sub or any
      other sub or scope than https://mail.google.com/ -> 401 unauthorized_client.
  POST {generic_token_url}   RFC 6749 client_credentials (form fields or HTTP
      Basic); wrong credentials -> 401 {"error":"invalid_client"}.
Every request is appended to STATE_DIR/token-requests.log as
"PROVIDER CLIENT_OR_ISS SUB_OR_- HTTP_STATUS" (never a secret, assertion or token).

Issued tokens live in memory for 3599 s. Microsoft tokens are good for any
mailbox @m365.example.test except nosend@m365.example.test; Google tokens
only for the sub they were issued for; generic tokens for any user. The
Microsoft-like SMTP servers take Microsoft and generic tokens, the Gmail-like
one Google and generic tokens.

SMTP servers (STARTTLS required, certificate for "localhost" from the test CA
STATE_DIR/ca.crt; AUTH is advertised only after STARTTLS; NOOP 250, QUIT 221):
  xoauth2_microsoft      AUTH LOGIN XOAUTH2 (Exchange Online). XOAUTH2 (initial
      response or "334 " two-step) with a valid token -> 235 2.7.0
      Authentication successful; otherwise 535 5.7.3 Authentication
      unsuccessful [...]. PLAIN/LOGIN -> 535 5.7.139 ... basic
      authentication is disabled. [...]
  xoauth2_google         AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER
      XOAUTH (Gmail). XOAUTH2/OAUTHBEARER valid -> 235 2.7.0 Accepted; invalid
      -> 334 <base64 error JSON>, the client answers (an empty line), then
      535-5.7.8 Username and Password not accepted ... BadCredentials.
      PLAIN/LOGIN/other mechanisms -> the same 535-5.7.8 reply.
  basic_disabled         as xoauth2_microsoft (XOAUTH2 works).
  basic_disabled_tenant  PLAIN/LOGIN -> 535 5.7.139 ... SmtpClientAuthentication
      is disabled for the Tenant ...; XOAUTH2 with a valid token gets that
      reply too (tenant-wide SMTP AUTH off blocks OAuth as well).
  basic_not_supported    PLAIN/LOGIN -> 550 5.7.30 Basic authentication is not
      supported for Client Submission.; XOAUTH2 works.
AUTH lines may be up to 12288 octets (RFC 4954), Microsoft tokens are ~1.5 kB
JWT-shaped strings as in real life. Every AUTH attempt is appended to
STATE_DIR/auth.log as "PORTNAME MECH USER RESULTCODE" (RESULTCODE "aborted" when
the client sent "*" or hung up mid-exchange); every MAIL, RCPT and
DATA to STATE_DIR/forbidden.log (the probe must never send them).
"""
import asyncio
import base64
import binascii
import collections
import datetime
import json
import os
import secrets
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import testcerts
from testcerts import context, make_leaf

STATE = sys.argv[1]
BASE_PORT = int(sys.argv[2]) if len(sys.argv) > 2 else None
_next_fixed = [BASE_PORT + 1 if BASE_PORT is not None else None]
FORBIDDEN = os.path.join(STATE, "forbidden.log")
TOKEN_LOG = os.path.join(STATE, "token-requests.log")
AUTH_LOG = os.path.join(STATE, "auth.log")
TOKEN_LIFETIME = 3599

MS_TENANT = "8f0c6f1e-0000-4000-8000-000000000001"
MS_TENANT_DOMAIN = "m365.example.test"
MS_CLIENT = "3f2a9c4d-0000-4000-8000-00000000000a"
MS_SECRET = "ms-secret-correct"
MS_EXPIRED_CLIENT = "3f2a9c4d-0000-4000-8000-00000000000e"
MS_EXPIRED_SECRET = "ms-secret-expired"
MS_SCOPE = "https://outlook.office365.com/.default"
MS_MAILBOX = "mailer@m365.example.test"
MS_NOSEND = "nosend@m365.example.test"
MS_SERVER = "SN4PR0501CA0054.namprd05.prod.outlook.com"

GOOGLE_EMAIL = "mailer-sa@mailform-test.iam.gserviceaccount.com"
GOOGLE_PROJECT = "mailform-test"
GOOGLE_SCOPE = "https://mail.google.com/"
GOOGLE_SUBJECT = "mailer@google.example.test"

GENERIC_CLIENT = "generic-client"
GENERIC_SECRET = "generic-secret"

# Exact server replies.
MS_OK = "235 2.7.0 Authentication successful"
MS_BAD_TOKEN = f"535 5.7.3 Authentication unsuccessful [{MS_SERVER}]"
MS_BASIC_DISABLED = f"535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [{MS_SERVER}]"
MS_TENANT_DISABLED = ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
                      f"Visit https://aka.ms/smtp_auth_disabled for more information. [{MS_SERVER}]")
MS_NOT_SUPPORTED = "550 5.7.30 Basic authentication is not supported for Client Submission."
MS_UNKNOWN_MECH = "504 5.7.4 Unrecognized authentication type"
G_OK = "235 2.7.0 Accepted"
G_ERROR_JSON = json.dumps({"status": "400", "schemes": "Bearer", "scope": GOOGLE_SCOPE}, separators=(",", ":"))
G_BAD = ("535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
         "535 5.7.8  https://support.google.com/mail/?p=BadCredentials")
G_UNDECODABLE = "501 5.5.2 Cannot Decode response"

_log_lock = threading.Lock()


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def append(path, line):
    with _log_lock, open(path, "a") as f:
        f.write(line + "\n")


def field(value):
    """One log field: no spaces or line breaks, '-' when absent."""
    if not value:
        return "-"
    return "".join(c if c.isprintable() and not c.isspace() else "?" for c in str(value))[:200]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    if isinstance(text, str):
        text = text.encode()
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def free_port():
    if BASE_PORT is not None:
        port = _next_fixed[0]
        _next_fixed[0] += 1
        return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- token registry

class Tokens:
    """Issued access tokens and who may use them."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tokens = {}

    def issue(self, token, provider, **who):
        with self._lock:
            self._tokens[token] = dict(provider=provider, expires=time.time() + TOKEN_LIFETIME, **who)
            # For the tests' leak checks only: every token issued, to search outputs for.
            append(os.path.join(STATE, "issued-tokens.secret"), token)
        return token

    def allows(self, token, user, providers):
        """True if `token` is live, from one of `providers`, and good for `user`."""
        with self._lock:
            grant = self._tokens.get(token)
        if grant is None or grant["expires"] < time.time() or grant["provider"] not in providers:
            return False
        user = (user or "").lower()
        if grant["provider"] == "microsoft":
            return user.endswith("@" + MS_TENANT_DOMAIN) and user != MS_NOSEND
        if grant["provider"] == "google":
            return user == grant["sub"]
        return bool(user)


TOKENS = Tokens()


def microsoft_token(tenant, client):
    """A JWT-shaped token of realistic length (~1.5 kB); only its identity matters."""
    t = int(time.time())
    header = {"typ": "JWT", "nonce": b64url(secrets.token_bytes(32)), "alg": "RS256",
              "x5t": b64url(secrets.token_bytes(20)), "kid": b64url(secrets.token_bytes(20))}
    claims = {"aud": "https://outlook.office365.com", "iss": f"https://sts.windows.net/{tenant}/",
              "iat": t, "nbf": t, "exp": t + TOKEN_LIFETIME, "aio": b64url(secrets.token_bytes(60)),
              "app_displayname": "mailform-test", "appid": client, "appidacr": "1",
              "idp": f"https://sts.windows.net/{tenant}/", "idtyp": "app", "oid": str(uuid.uuid4()),
              "rh": "0." + b64url(secrets.token_bytes(40)) + ".", "roles": ["SMTP.SendAsApp"],
              "sid": str(uuid.uuid4()), "sub": str(uuid.uuid4()), "tid": tenant,
              "uti": b64url(secrets.token_bytes(16)), "ver": "1.0", "wids": ["0997a1d0-0d1d-4acb-b408-d5ca73121e90"],
              "xms_tcdt": t - 86400 * 400}
    return ".".join([b64url(json.dumps(header, separators=(",", ":")).encode()),
                     b64url(json.dumps(claims, separators=(",", ":")).encode()),
                     b64url(secrets.token_bytes(256))])


# ---------------------------------------------------------------- Google service account

def google_key_file(name, key, token_uri, google_url, passphrase=None):
    encryption = serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode()
    data = {
        "type": "service_account",
        "project_id": GOOGLE_PROJECT,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": GOOGLE_EMAIL,
        "client_id": "1" + "".join(str(secrets.randbelow(10)) for _ in range(20)),
        "auth_uri": google_url + "/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
                                + urllib.parse.quote(GOOGLE_EMAIL),
        "universe_domain": "googleapis.com",
    }
    path = os.path.join(STATE, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    return path, data


# ---------------------------------------------------------------- token endpoints

def token_handler(google_key, google_key_id, google_token_uri):
    class Handler(BaseHTTPRequestHandler):
        server_version = "lab"
        sys_version = ""

        def log_message(self, *args):
            pass

        def send(self, status, body, content_type="application/json; charset=utf-8", headers=()):
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store, no-cache")
            self.send_header("Pragma", "no-cache")
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def send_json(self, status, obj, headers=()):
            self.send(status, json.dumps(obj, separators=(",", ":")), headers=headers)

        def form(self):
            length = int(self.headers.get("Content-Length") or "0")
            body = self.rfile.read(length).decode("utf-8", "replace")
            return {k: v[0] for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items()}

        def do_GET(self):
            self.send_json(405 if self.path.split("?")[0].endswith("/token") else 404,
                           {"error": "invalid_request", "error_description": "use POST"})

        def do_POST(self):
            path = self.path.split("?", 1)[0]
            parts = path.strip("/").split("/")
            if len(parts) == 5 and parts[0] == "ms" and parts[2:] == ["oauth2", "v2.0", "token"]:
                return self.microsoft(urllib.parse.unquote(parts[1]))
            if path == "/google/token":
                return self.google()
            if path == "/generic/token":
                return self.generic()
            if len(parts) == 3 and parts[0] == "hostile" and parts[2] == "token":
                return self.hostile(parts[1])
            self.send_json(404, {"error": "not_found"})

        # A hostile token endpoint (leak tests) -------------------------------
        def hostile(self, mode):
            """Replies that try to get the request's secrets printed: the
            whole form body as the error code (echo-error), the client secret
            in the description (echo-desc), or the secret just past 230
            characters, where a cut at 240 would keep its start (straddle)."""
            length = int(self.headers.get("Content-Length") or "0")
            body = self.rfile.read(length).decode("utf-8", "replace")
            secret = urllib.parse.parse_qs(body).get("client_secret", [""])[0]
            append(TOKEN_LOG, f"hostile {field(mode)} - 400")
            if mode == "echo-error":
                return self.send_json(400, {"error": body})
            if mode == "echo-desc":
                return self.send_json(400, {"error": "invalid_client", "error_description": "bad secret " + secret})
            # Re-encoded, past any redaction of the secret's own bytes.
            if mode == "echo-reversed":
                return self.send_json(400, {"error": "invalid_client", "error_description": "bad secret " + secret[::-1]})
            if mode == "echo-hex":
                return self.send_json(400, {"error": "invalid_client", "error_description": "bad secret " + secret.encode().hex()})
            if mode == "echo-spaced":
                return self.send_json(400, {"error": "invalid_client", "error_description": " ".join(secret)})
            if mode == "odd-status":  # a status no token endpoint uses, from the secret's first byte
                return self.send_json(520 + ord(secret[0]) % 70, {"error": "temporarily_unavailable"})
            if mode == "echo-word":  # a word of the allowed characters, in the error code itself
                return self.send_json(400, {"error": secret.encode().hex()[:64], "error_codes": [int(secret.encode().hex()[:7], 16)]})
            return self.send_json(400, {"error": "invalid_client", "error_description": "x" * 230 + secret})

        # Microsoft Entra ID ------------------------------------------------
        def microsoft(self, tenant):
            form = self.form()
            client = form.get("client_id")

            def fail(status, error, code, text):
                stamp = now().strftime("%Y-%m-%d %H:%M:%SZ")
                trace, corr = str(uuid.uuid4()), self.headers.get("client-request-id") or str(uuid.uuid4())
                append(TOKEN_LOG, f"microsoft {field(client)} - {status}")
                self.send_json(status, {
                    "error": error,
                    "error_description": f"AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {corr}\r\nTimestamp: {stamp}",
                    "error_codes": [code], "timestamp": stamp, "trace_id": trace, "correlation_id": corr,
                    "error_uri": f"https://login.microsoftonline.com/error?code={code}"})

            if tenant in ("notjson-tenant", "notjson.example.test"):
                append(TOKEN_LOG, f"microsoft {field(client)} - 200")
                return self.send(200, "<!DOCTYPE html>\n<html><head><title>Sign in to your account</title></head>"
                                      "<body><p>Your session has expired. Please sign in again.</p></body></html>\n",
                                 "text/html; charset=utf-8")
            if tenant.lower() not in (MS_TENANT, MS_TENANT_DOMAIN):
                return fail(400, "invalid_request", 90002,
                            f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
                            "signing into the correct cloud. Check with your subscription administrator, this may "
                            "happen if there are no active subscriptions for the tenant.")
            grant = form.get("grant_type")
            if not grant:
                return fail(400, "invalid_request", 900144,
                            "The request body must contain the following parameter: 'grant_type'.")
            if grant != "client_credentials":
                return fail(400, "unsupported_grant_type", 70003,
                            f"The app requested an unsupported grant type '{grant}'.")
            if not client:
                return fail(400, "invalid_request", 900144,
                            "The request body must contain the following parameter: 'client_id'.")
            if client.lower() not in (MS_CLIENT, MS_EXPIRED_CLIENT):
                return fail(400, "unauthorized_client", 700016,
                            f"Application with identifier '{client}' was not found in the directory '{tenant}'. "
                            "This can happen if the application has not been installed by the administrator of the "
                            "tenant or consented to by any user in the tenant. You may have sent your authentication "
                            "request to the wrong tenant.")
            secret = form.get("client_secret")
            if not secret:
                return fail(401, "invalid_client", 7000216,
                            "'client_assertion', 'client_secret' or 'request' is required for the "
                            "'client_credentials' grant type.")
            if client.lower() == MS_EXPIRED_CLIENT:
                if secret != MS_EXPIRED_SECRET:
                    return self.bad_secret(fail, client)
                return fail(401, "invalid_client", 7000222,
                            f"The provided client secret keys for app '{client}' are expired. Visit the Azure portal "
                            "to create new keys for your app: https://aka.ms/NewClientSecret, or consider using "
                            "certificate credentials for added security: https://aka.ms/certCreds.")
            if secret != MS_SECRET:
                return self.bad_secret(fail, client)
            scope = form.get("scope", "")
            if not scope:
                return fail(400, "invalid_scope", 70011, "The provided request must include a 'scope' input parameter.")
            if scope.strip() != MS_SCOPE:
                return fail(400, "invalid_scope", 70011,
                            f"The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid.")
            token = TOKENS.issue(microsoft_token(MS_TENANT, client.lower()), "microsoft", tenant=MS_TENANT,
                                 client=client.lower())
            append(TOKEN_LOG, f"microsoft {field(client)} - 200")
            self.send_json(200, {"token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                                 "ext_expires_in": TOKEN_LIFETIME, "access_token": token})

        @staticmethod
        def bad_secret(fail, client):
            return fail(401, "invalid_client", 7000215,
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                        "secret value, not the client secret ID, for a secret added to app "
                        f"'{client}'.")

        # Google ------------------------------------------------------------
        def google(self):
            form = self.form()
            iss, sub = None, None

            def answer(status, obj):
                append(TOKEN_LOG, f"google {field(iss)} {field(sub)} {status}")
                self.send_json(status, obj)

            def invalid_grant(text):
                return answer(400, {"error": "invalid_grant", "error_description": text})

            grant = form.get("grant_type")
            if grant != "urn:ietf:params:oauth:grant-type:jwt-bearer":
                return answer(400, {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant or ''}"})
            assertion = form.get("assertion")
            if not assertion:
                return answer(400, {"error": "invalid_request", "error_description": "Missing required parameter: assertion"})
            try:
                head_b64, claims_b64, sig_b64 = assertion.split(".")
                header = json.loads(b64url_decode(head_b64))
                claims = json.loads(b64url_decode(claims_b64))
                signature = b64url_decode(sig_b64)
                if not isinstance(header, dict) or not isinstance(claims, dict):
                    raise ValueError("not objects")
            except (ValueError, binascii.Error, UnicodeDecodeError):
                return invalid_grant("Invalid JWT Signature.")
            iss = claims.get("iss") if isinstance(claims.get("iss"), str) else None
            sub = claims.get("sub") if isinstance(claims.get("sub"), str) else None
            if header.get("alg") != "RS256" or header.get("typ", "JWT") != "JWT":
                return invalid_grant("Invalid JWT Signature.")
            if iss != GOOGLE_EMAIL:
                return invalid_grant("Invalid grant: account not found")
            if "kid" in header and header["kid"] != google_key_id:
                return invalid_grant("Invalid JWT Signature.")
            try:
                google_key.public_key().verify(signature, f"{head_b64}.{claims_b64}".encode(),
                                               padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                return invalid_grant("Invalid JWT Signature.")
            if claims.get("aud") != google_token_uri:
                return invalid_grant(f"Invalid JWT: Failed audience check. The right audience is {google_token_uri}")
            iat, exp, t = claims.get("iat"), claims.get("exp"), time.time()
            if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)) or isinstance(iat, bool) \
                    or isinstance(exp, bool) or abs(iat - t) > 300 or exp <= t or exp <= iat or exp - iat > 3600:
                return invalid_grant("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                                     "timeframe. Check your iat and exp values in the JWT claim.")
            scope = claims.get("scope")
            if not isinstance(scope, str) or not scope.split():
                return answer(400, {"error": "invalid_scope", "error_description": "Empty or missing scope not allowed."})
            if set(scope.split()) != {GOOGLE_SCOPE} or not sub or sub.lower() != GOOGLE_SUBJECT:
                return answer(401, {"error": "unauthorized_client",
                                    "error_description": "Client is unauthorized to retrieve access tokens using "
                                                         "this method, or client not authorized for any of the scopes "
                                                         "requested."})
            token = TOKENS.issue("ya29." + b64url(secrets.token_bytes(150)), "google", sub=sub.lower())
            answer(200, {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"})

        # Generic RFC 6749 --------------------------------------------------
        def generic(self):
            form = self.form()
            client, secret, basic = form.get("client_id"), form.get("client_secret"), False
            auth = self.headers.get("Authorization", "")
            if auth[:6].lower() == "basic ":
                try:
                    user, _, pw = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
                    if client is not None and urllib.parse.unquote_plus(user) != client:
                        raise ValueError("two client identities")
                    client, secret, basic = urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(pw), True
                except (ValueError, binascii.Error, UnicodeDecodeError):
                    append(TOKEN_LOG, f"generic {field(client)} - 400")
                    return self.send_json(400, {"error": "invalid_request"})
            if form.get("grant_type") != "client_credentials":
                append(TOKEN_LOG, f"generic {field(client)} - 400")
                return self.send_json(400, {"error": "unsupported_grant_type"})
            if client != GENERIC_CLIENT or secret != GENERIC_SECRET:
                append(TOKEN_LOG, f"generic {field(client)} - 401")
                return self.send_json(401, {"error": "invalid_client"},
                                      headers=[("WWW-Authenticate", 'Basic realm="lab"')] if basic else [])
            token = TOKENS.issue(secrets.token_urlsafe(32), "generic")
            append(TOKEN_LOG, f"generic {field(client)} - 200")
            self.send_json(200, {"access_token": token, "expires_in": TOKEN_LIFETIME, "token_type": "Bearer"})

    return Handler


# ---------------------------------------------------------------- SMTP servers

class Recorder:
    """Records what a probe must never send, and puts the exact AUTH line in EHLO."""

    def _log(self, what):
        append(FORBIDDEN, what)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        lines = [r for r in responses if not r[4:].startswith("AUTH")]
        if server._tls_protocol:
            lines.insert(len(lines) - 1, "250-AUTH " + server.advertise)
        return lines

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


KINDS = {
    # name: (advertised mechanisms, basic-auth reply, token providers, reply for a valid token)
    "xoauth2_microsoft": ("LOGIN XOAUTH2", MS_BASIC_DISABLED, {"microsoft", "generic"}, MS_OK),
    "xoauth2_google": ("LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH", G_BAD, {"google", "generic"}, G_OK),
    "basic_disabled": ("LOGIN XOAUTH2", MS_BASIC_DISABLED, {"microsoft", "generic"}, MS_OK),
    "basic_disabled_tenant": ("LOGIN XOAUTH2", MS_TENANT_DISABLED, {"microsoft", "generic"}, MS_TENANT_DISABLED),
    "basic_not_supported": ("LOGIN XOAUTH2", MS_NOT_SUPPORTED, {"microsoft", "generic"}, MS_OK),
    # Hostile: answers XOAUTH2 with a 334 challenge that echoes the client's
    # decoded AUTH string (token included), then 535 (leak tests).
    "xoauth2_echo": ("LOGIN XOAUTH2", MS_BASIC_DISABLED, {"microsoft", "generic"}, MS_OK),
}


class Aborted(Exception):
    """The client went away or sent '*' during an AUTH exchange."""


class LabSMTP(SMTP):
    # RFC 4954 allows AUTH lines of 12288 octets; aiosmtpd's reader stops at 1001.
    line_length_limit = 12288 + 2

    def __init__(self, handler, name, **kwargs):
        super().__init__(handler, **kwargs)
        self.name = name
        self.advertise, self.basic_reply, self.providers, self.token_ok = KINDS[name]
        self.google = name == "xoauth2_google"
        # aiosmtpd keeps command_size_limits on the class; give this server its own.
        self.command_size_limits = collections.defaultdict(lambda: self.command_size_limit, {"AUTH": 12288})

    async def read_response(self, challenge):
        """Send `334 challenge`, return the client's raw answer (bytes, stripped)."""
        await self.push("334 " + challenge)
        try:
            line = await self._reader.readline()
        except ValueError:
            await self.push("500 5.5.6 Authentication exchange line is too long")
            raise Aborted()
        if not line:
            raise Aborted()
        line = line.strip()
        if line == b"*":
            await self.push("501 5.7.0 Authentication aborted")
            raise Aborted()
        return line

    async def smtp_AUTH(self, arg):
        if await self.check_helo_needed("EHLO"):
            return
        if not self.session.extended_smtp:
            return await self.push("503 5.5.1 EHLO first")
        if not self._tls_protocol:
            return await self.push("530 5.7.0 Must issue a STARTTLS command first")
        if self.session.authenticated:
            return await self.push("503 5.5.1 Already authenticated")
        args = (arg or "").split()
        if not args or len(args) > 2:
            return await self.push("501 5.5.4 Syntax: AUTH mechanism [initial-response]")
        mech, initial = args[0].upper(), (args[1] if len(args) > 1 else None)
        user, reply = None, None
        try:
            if mech in ("XOAUTH2", "OAUTHBEARER") and mech in self.advertise.split():
                user, reply = await self.oauth(mech, initial)
            elif mech in ("PLAIN", "LOGIN"):
                user = await self.basic(mech, initial)
                reply = self.basic_reply
            elif self.google and mech in self.advertise.split():
                reply = G_BAD
            else:
                reply = G_BAD if self.google else MS_UNKNOWN_MECH
        except Aborted:
            reply = None
        append(AUTH_LOG, f"{self.name} {field(mech)} {field(user)} {reply[:3] if reply else 'aborted'}")
        if reply is not None:
            if reply.startswith("235"):
                self.session.authenticated = True
                self.session.auth_data = user
            await self.push(reply)

    async def basic(self, mech, initial):
        """Collect PLAIN or LOGIN credentials the way the real server does; return the user."""
        def decode(blob):
            try:
                return base64.b64decode(blob, validate=True)
            except (binascii.Error, ValueError):
                return None
        if mech == "PLAIN":
            data = decode(initial if initial is not None else await self.read_response(""))
            parts = data.split(b"\0") if data else []
            return parts[1].decode("utf-8", "replace") if len(parts) == 3 else None
        if initial is None:
            initial = await self.read_response("VXNlcm5hbWU6")  # "Username:"
        user = decode(initial)
        await self.read_response("UGFzc3dvcmQ6")  # "Password:"; its value is not kept
        return user.decode("utf-8", "replace") if user else None

    async def oauth(self, mech, initial):
        """XOAUTH2 (user=U^Aauth=Bearer T^A^A) or OAUTHBEARER (n,a=U,^Aauth=Bearer T^A^A)."""
        blob = initial if initial is not None else await self.read_response("")
        try:
            data = base64.b64decode(blob, validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None, G_UNDECODABLE if self.google else MS_BAD_TOKEN
        user, token = None, None
        fields = data.split("\x01")
        if mech == "OAUTHBEARER" and fields:
            for part in fields.pop(0).split(","):
                if part.startswith("a="):
                    user = part[2:].replace("=2C", ",").replace("=3D", "=")
        for part in fields:
            if part.startswith("user=") and mech == "XOAUTH2":
                user = part[5:]
            elif part.lower().startswith("auth=bearer "):
                token = part[12:].strip()
        if self.name == "xoauth2_echo":
            await self.read_response(base64.b64encode(data.encode()).decode())
            return user, "535 5.7.8 no"
        if token and user and TOKENS.allows(token, user, self.providers):
            return user, self.token_ok
        if self.google:
            # Gmail answers a failed token with a 334 error challenge; whatever the client sends, 535 follows.
            await self.read_response(base64.b64encode(G_ERROR_JSON.encode()).decode())
            return user, G_BAD
        return user, MS_BAD_TOKEN


class LabController(Controller):
    def __init__(self, handler, port, name, tls_context):
        self._name = name
        self._tls = tls_context
        super().__init__(handler, hostname="127.0.0.1", port=port, server_hostname="localhost")

    def factory(self):
        ident = "Microsoft ESMTP MAIL Service ready" if "google" not in self._name else "ESMTP lab - gsmtp"
        return LabSMTP(self.handler, self._name, hostname="localhost", ident=ident, tls_context=self._tls,
                       require_starttls=True, auth_require_tls=True)


def main():
    os.makedirs(STATE, exist_ok=True)

    # Token endpoints first: the Google key files need its URL.
    http = ThreadingHTTPServer(("127.0.0.1", BASE_PORT if BASE_PORT is not None else 0), BaseHTTPRequestHandler)
    http.daemon_threads = True
    token_port = http.server_address[1]
    base = f"http://127.0.0.1:{token_port}"
    google_url = base + "/google"
    google_token_uri = google_url + "/token"
    google_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sa_path, sa = google_key_file("google-sa.json", google_key, google_token_uri, google_url)
    other_path, _ = google_key_file("google-sa-other.json", other_key, google_token_uri, google_url)
    # The same key, encrypted: a probe must refuse it, never prompt for a passphrase.
    google_key_file("google-sa-encrypted.json", google_key, google_token_uri, google_url, passphrase=b"lab-passphrase")
    http.RequestHandlerClass = token_handler(google_key, sa["private_key_id"], google_token_uri)
    threading.Thread(target=http.serve_forever, daemon=True).start()

    ca_cert, ca_key = testcerts.make_ca("mailform OAuth lab CA")
    ca_file, _ = testcerts.write_pem(STATE, "ca", ca_cert)
    good = testcerts.write_pem(STATE, "localhost", *make_leaf(ca_cert, ca_key, "localhost", now() - datetime.timedelta(days=1),
                                             now() + datetime.timedelta(days=10)))
    recorder = Recorder()
    ports, controllers = {}, []
    for name in KINDS:  # order matters for BASE_PORT
        port = free_port()
        controller = LabController(recorder, port, name, context(*good))
        controller.start()
        controllers.append(controller)
        ports[name] = port

    print(json.dumps({
        "ports": ports,
        "ca_file": ca_file,
        "microsoft_url": base + "/ms",
        "google_url": google_url,
        "generic_token_url": base + "/generic/token",
        "token_port": token_port,
        "microsoft": {"tenant": MS_TENANT, "client_id": MS_CLIENT, "client_secret": MS_SECRET,
                      "expired_client_id": MS_EXPIRED_CLIENT, "expired_client_secret": MS_EXPIRED_SECRET,
                      "mailbox": MS_MAILBOX, "nosend_mailbox": MS_NOSEND, "scope": MS_SCOPE},
        "google": {"service_account_key": sa_path, "other_key": other_path, "subject": GOOGLE_SUBJECT,
                   "client_email": GOOGLE_EMAIL, "scope": GOOGLE_SCOPE},
        "generic": {"client_id": GENERIC_CLIENT, "client_secret": GENERIC_SECRET},
    }), flush=True)
    sys.stdin.read()
    for controller in controllers:
        controller.stop()
    http.shutdown()


if __name__ == "__main__":
    main()
