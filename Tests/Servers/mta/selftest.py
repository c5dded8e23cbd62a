#!/usr/bin/env python3
"""Check every behaviour of the Postfix + Dovecot test instance.

    selftest.py INSTANCE

INSTANCE is the JSON that start.sh printed: a path to it (start.sh also
writes ROOT/instance.json), the ROOT folder, or the JSON text itself.
Standard library only (smtplib, ssl). Runs the sessions one after another
and, after each, reads the new lines of Postfix's log for that service, so
the log formats are checked too. Ends with "N passed, N failed"; exit 1 on
any failure.
"""

import json
import os
import re
import smtplib
import socket
import ssl
import sys
import time


def load_instance(arg):
    if arg.lstrip().startswith("{"):
        return json.loads(arg)
    if os.path.isdir(arg):
        arg = os.path.join(arg, "instance.json")
    with open(arg) as f:
        return json.load(f)


INST = load_instance(sys.argv[1] if len(sys.argv) > 1 else os.environ["MTA_INSTANCE"])
HOST = "127.0.0.1"
PORTS = INST["ports"]
USER, PASSWORD = INST["user"], INST["password"]
LOG = INST["log"]
TIMEOUT = 10

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail else ""), flush=True)


def ca_context(**kw):
    ctx = ssl.create_default_context(cafile=INST["ca_file"])
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


def log_offset():
    try:
        return os.path.getsize(LOG)
    except FileNotFoundError:
        return 0


def session_log(service, offset, want=r"disconnect from ", wait=5.0):
    """Lines of `service` logged after `offset`, once one matches `want`."""
    tag = "postfix-mailform/%s/" % service
    deadline = time.time() + wait
    while True:
        with open(LOG, errors="replace") as f:
            f.seek(offset)
            lines = [l.rstrip("\n") for l in f if tag in l]
        if any(re.search(want, l) for l in lines) or time.time() > deadline:
            return lines


def log_has(name, lines, pattern):
    hit = [l for l in lines if re.search(pattern, l)]
    check(name, bool(hit), hit[0].split(": ", 1)[1] if hit else "no line matching %r in:\n    %s" % (pattern, "\n    ".join(lines)))


def ehlo_features(smtp):
    smtp.ehlo("probe.mailform.test")
    return {k.upper() for k in smtp.esmtp_features}


def auth_plain(smtp, user, password):
    """One AUTH PLAIN attempt (smtplib.login() would also try LOGIN)."""
    smtp.user, smtp.password = user, password
    return smtp.auth("PLAIN", smtp.auth_plain)


# --- 1. submission -----------------------------------------------------------
def t_submission():
    port = PORTS["submission"]
    off = log_offset()
    s = smtplib.SMTP(HOST, port, timeout=TIMEOUT)
    f = ehlo_features(s)
    check("submission: STARTTLS offered", "starttls" in {x.lower() for x in f})
    check("submission: no AUTH before TLS", "AUTH" not in f, str(sorted(f)))
    code, msg = s.docmd("MAIL FROM:<probe@example.test>")
    check("submission: MAIL before STARTTLS refused (530)", code == 530, "%d %s" % (code, msg.decode()))
    s.starttls(context=ca_context())
    check("submission: TLS verified with the CA (IP SAN 127.0.0.1)", True, s.sock.version())
    f = ehlo_features(s)
    check("submission: AUTH PLAIN LOGIN after TLS", "AUTH" in f and s.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"],
          s.esmtp_features.get("auth", ""))
    code, msg = auth_plain(s, USER, PASSWORD)
    check("submission: AUTH ok (235)", code == 235, "%d %s" % (code, msg.decode()))
    code, msg = s.quit()
    check("submission: QUIT 221", code == 221)
    lines = session_log("submission", off)
    log_has("log: submission success with QUIT", lines,
            r"disconnect from localhost\[127\.0\.0\.1\] ehlo=2 starttls=1 auth=1 mail=0/1 quit=1 commands=5/6$")

    # by name: localhost is in the certificate's SAN
    off = log_offset()
    s = smtplib.SMTP("localhost", port, timeout=TIMEOUT)
    s.ehlo("probe.mailform.test")
    s.starttls(context=ca_context())
    s.ehlo("probe.mailform.test")
    code, _ = auth_plain(s, USER, PASSWORD)
    s.quit()
    check("submission: TLS verified as 'localhost' + AUTH", code == 235)
    lines = session_log("submission", off)
    log_has("log: the canonical line", lines,
            r"disconnect from localhost\[127\.0\.0\.1\] ehlo=2 starttls=1 auth=1 quit=1 commands=5$")

    # wrong password -> 535, then QUIT
    off = log_offset()
    s = smtplib.SMTP(HOST, port, timeout=TIMEOUT)
    s.ehlo("probe.mailform.test")
    s.starttls(context=ca_context())
    s.ehlo("probe.mailform.test")
    try:
        auth_plain(s, USER, "wrong-password")
        check("submission: wrong password refused", False, "accepted")
    except smtplib.SMTPAuthenticationError as e:
        check("submission: wrong password -> 535", e.smtp_code == 535, "%d %s" % (e.smtp_code, e.smtp_error.decode()))
    s.quit()
    lines = session_log("submission", off)
    log_has("log: SASL failure warning", lines, r"warning: localhost\[127\.0\.0\.1\]: SASL PLAIN authentication failed")
    log_has("log: failed AUTH then QUIT", lines,
            r"disconnect from localhost\[127\.0\.0\.1\] ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5$")

    # second user also works
    s = smtplib.SMTP(HOST, port, timeout=TIMEOUT)
    s.ehlo("probe.mailform.test")
    s.starttls(context=ca_context())
    s.ehlo("probe.mailform.test")
    code, _ = auth_plain(s, INST["user2"], INST["password2"])
    s.quit()
    check("submission: second user AUTH ok", code == 235)

    # AUTH ok, then hang up without QUIT
    off = log_offset()
    s = smtplib.SMTP(HOST, port, timeout=TIMEOUT)
    s.ehlo("probe.mailform.test")
    s.starttls(context=ca_context())
    s.ehlo("probe.mailform.test")
    auth_plain(s, USER, PASSWORD)
    s.close()  # no QUIT
    lines = session_log("submission", off)
    log_has("log: hang-up after AUTH", lines, r"lost connection after AUTH from localhost\[127\.0\.0\.1\]$")
    log_has("log: hang-up disconnect counters", lines,
            r"disconnect from localhost\[127\.0\.0\.1\] ehlo=2 starttls=1 auth=1 commands=4$")

    # hang up right after EHLO
    off = log_offset()
    s = smtplib.SMTP(HOST, port, timeout=TIMEOUT)
    s.ehlo("probe.mailform.test")
    s.close()
    lines = session_log("submission", off)
    log_has("log: hang-up after EHLO", lines, r"lost connection after EHLO from localhost\[127\.0\.0\.1\]$")


# --- 2. smtps --------------------------------------------------------------
def t_smtps():
    off = log_offset()
    s = smtplib.SMTP_SSL(HOST, PORTS["smtps"], timeout=TIMEOUT, context=ca_context())
    f = ehlo_features(s)
    check("smtps: implicit TLS verified", True, s.sock.version())
    check("smtps: AUTH offered, no STARTTLS", "AUTH" in f and "STARTTLS" not in f, str(sorted(f)))
    code, _ = auth_plain(s, USER, PASSWORD)
    check("smtps: AUTH ok", code == 235)
    s.quit()
    lines = session_log("smtps", off)
    log_has("log: smtps success", lines, r"disconnect from localhost\[127\.0\.0\.1\] ehlo=1 auth=1 quit=1 commands=3$")

    # plain-text client on the implicit-TLS port: no banner until it times out
    off = log_offset()
    sock = socket.create_connection((HOST, PORTS["smtps"]), timeout=0.5)
    try:
        got = sock.recv(100)
        check("smtps: no plain banner", got == b"", repr(got))
    except socket.timeout:
        check("smtps: no plain banner (client waits)", True)
    sock.close()
    lines = session_log("smtps", off)
    log_has("log: smtps plain client", lines, r"lost connection after CONNECT from localhost\[127\.0\.0\.1\]|SSL_accept error")


# --- 3. relay ---------------------------------------------------------------
def t_relay():
    off = log_offset()
    s = smtplib.SMTP(HOST, PORTS["relay"], timeout=TIMEOUT)
    f = ehlo_features(s)
    check("relay: neither STARTTLS nor AUTH", "STARTTLS" not in f and "AUTH" not in f, str(sorted(f)))
    code, msg = s.docmd("STARTTLS")
    check("relay: STARTTLS command refused (502)", code == 502, "%d %s" % (code, msg.decode()))
    code, msg = s.docmd("AUTH PLAIN")
    check("relay: AUTH command refused (503)", code == 503, "%d %s" % (code, msg.decode()))
    s.quit()
    lines = session_log("relay", off)
    log_has("log: relay", lines, r"disconnect from localhost\[127\.0\.0\.1\] ehlo=1 starttls=0/1 auth=0/1 quit=1 commands=2/4$")


# --- 4. tls13only --------------------------------------------------------
def t_tls13only():
    port = PORTS["tls13only"]
    off = log_offset()
    s = smtplib.SMTP(HOST, port, timeout=TIMEOUT)
    s.ehlo("probe.mailform.test")
    try:
        s.starttls(context=ca_context(maximum_version=ssl.TLSVersion.TLSv1_2))
        check("tls13only: TLS 1.2-max client refused", False, s.sock.version())
    except ssl.SSLError as e:
        check("tls13only: TLS 1.2-max client refused", True, str(e))
    s.close()
    lines = session_log("tls13only", off)
    log_has("log: TLS handshake failure (protocol)", lines, r"SSL_accept error from localhost\[127\.0\.0\.1\]")
    log_has("log: TLS handshake failure reason", lines, r"warning: TLS library problem: .*unsupported protocol")
    log_has("log: TLS handshake failure -> lost connection", lines, r"lost connection after STARTTLS from localhost\[127\.0\.0\.1\]$")
    log_has("log: TLS handshake failure counters", lines, r"disconnect from localhost\[127\.0\.0\.1\] ehlo=1 starttls=0/1 commands=1/2$")

    s = smtplib.SMTP(HOST, port, timeout=TIMEOUT)
    s.ehlo("probe.mailform.test")
    s.starttls(context=ca_context(minimum_version=ssl.TLSVersion.TLSv1_3))
    check("tls13only: TLS 1.3 client accepted", s.sock.version() == "TLSv1.3", s.sock.version())
    s.ehlo("probe.mailform.test")
    code, _ = auth_plain(s, USER, PASSWORD)
    check("tls13only: AUTH ok", code == 235)
    s.quit()


# --- 5-7. bad certificates -----------------------------------------------
def t_badcert(service, expect, alert):
    off = log_offset()
    s = smtplib.SMTP(HOST, PORTS[service], timeout=TIMEOUT)
    s.ehlo("probe.mailform.test")
    try:
        s.starttls(context=ca_context())
        check("%s: verification fails with the CA" % service, False, "handshake succeeded")
    except ssl.SSLCertVerificationError as e:
        check("%s: verification fails with the CA" % service, re.search(expect, e.verify_message) is not None, e.verify_message)
    s.close()
    lines = session_log(service, off)
    log_has("log: %s client's TLS alert" % service, lines, alert)
    log_has("log: %s certificate rejected by client" % service, lines, r"lost connection after STARTTLS from localhost\[127\.0\.0\.1\]$")
    # without verification the server works (AUTH is there)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s = smtplib.SMTP(HOST, PORTS[service], timeout=TIMEOUT)
    s.ehlo("probe.mailform.test")
    s.starttls(context=ctx)
    s.ehlo("probe.mailform.test")
    code, _ = auth_plain(s, USER, PASSWORD)
    s.quit()
    check("%s: unverified TLS + AUTH ok" % service, code == 235)


# --- 8. authnotls -------------------------------------------------------------
def t_authnotls():
    off = log_offset()
    s = smtplib.SMTP(HOST, PORTS["authnotls"], timeout=TIMEOUT)
    f = ehlo_features(s)
    check("authnotls: AUTH in plain text, no STARTTLS", "AUTH" in f and "STARTTLS" not in f, str(sorted(f)))
    code, _ = auth_plain(s, USER, PASSWORD)
    check("authnotls: plain-text AUTH ok", code == 235)
    s.quit()
    lines = session_log("authnotls", off)
    log_has("log: authnotls", lines, r"disconnect from localhost\[127\.0\.0\.1\] ehlo=1 auth=1 quit=1 commands=3$")


# --- 9. noauth ---------------------------------------------------------------
def t_noauth():
    off = log_offset()
    s = smtplib.SMTP(HOST, PORTS["noauth"], timeout=TIMEOUT)
    f = ehlo_features(s)
    check("noauth: STARTTLS offered, no AUTH", "STARTTLS" in f and "AUTH" not in f, str(sorted(f)))
    s.starttls(context=ca_context())
    f = ehlo_features(s)
    check("noauth: still no AUTH after TLS", "AUTH" not in f, str(sorted(f)))
    s.quit()
    lines = session_log("noauth", off)
    log_has("log: noauth", lines, r"disconnect from localhost\[127\.0\.0\.1\] ehlo=2 starttls=1 quit=1 commands=4$")


def main():
    for t in (t_submission, t_smtps, t_relay, t_tls13only,
              lambda: t_badcert("expired", r"certificate has expired", r"alert certificate expired.*SSL alert number 45"),
              lambda: t_badcert("wronghost", r"IP address mismatch|Hostname mismatch", r"alert bad certificate.*SSL alert number 42"),
              lambda: t_badcert("selfsigned", r"self[- ]signed certificate", r"alert unknown ca.*SSL alert number 48"),
              t_authnotls, t_noauth):
        t0 = time.time()
        try:
            t()
        except Exception as e:  # a crash in one group should not hide the others
            check(getattr(t, "__name__", "test"), False, "%s: %s" % (type(e).__name__, e))
        print("  (%.2f s)" % (time.time() - t0), flush=True)
    passed = sum(results)
    failed = len(results) - passed
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
