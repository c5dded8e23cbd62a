#!/usr/bin/env python3
"""Verdicts per domain and check from mailform's findings and checkdmarc's
JSON, compared with each other and with the corpus's RFC expectation.

  compare.py OUT [--results FILE]

Reads OUT/cases.json, OUT/mailform.json, OUT/checkdmarc.json. Prints the
disagreements (mailform vs checkdmarc), the cases where either tool differs
from the RFC expectation, and a summary line; --results writes the full table
(markdown). Verdicts (see corpus.py):
  spf     valid | permerror | missing
  dmarc   missing | invalid | p=<policy>[,t=y]   (sp= for a subdomain's inherited record)
  mtasts  missing | record-invalid | unavailable | policy-invalid | enforce | testing | none [+mx-mismatch]
  tlsrpt  valid | invalid | missing
How mailform's verdict is read: the workspace sets require_mta_sts (so a
missing policy is a finding), no SPF record authorises the platform and no
DKIM selector is set, so every DMARC policy other than none shows up as
dmarc-reject-misaligned / dmarc-test-mode with details.policy; no DMARC
finding means p=none. mailform reports TLS-RPT only beside a published
_mta-sts record: elsewhere its tlsrpt verdict is "n/a" and not compared.
"""
import collections
import json
import os
import sys

OUT = sys.argv[1]
RESULTS = sys.argv[sys.argv.index("--results") + 1] if "--results" in sys.argv else None
CHECKS = ["spf", "dmarc", "mtasts", "tlsrpt"]

cases = json.load(open(os.path.join(OUT, "cases.json")))
mf = json.load(open(os.path.join(OUT, "mailform.json")))
cd = {r["domain"]: r for r in json.load(open(os.path.join(OUT, "checkdmarc.json")))}
by_domain = collections.defaultdict(list)
for f in mf.get("deliverability", []):
    by_domain[f["domain"]].append(f)


def norm_dmarc(v):
    # t=y on p=none changes nothing a receiver does
    return "p=none" if v == "p=none,t=y" else v


def mailform_verdicts(domain):
    fs = by_domain.get(domain, [])
    ids = {f["id"] for f in fs}
    v = {}
    if "spf-missing" in ids:
        v["spf"] = "missing"
    elif ids & {"spf-invalid", "spf-lookup-limit"}:
        v["spf"] = "permerror"
    elif ids & {"dns-timeout", "dns-servfail"}:
        v["spf"] = "dns-error"
    else:
        v["spf"] = "valid"
    # mailform's effective policy is in the details of its DMARC findings
    # ("policy"); a dmarc-invalid that says receivers apply no DMARC, or
    # discard every record, is "missing" as the RFC reads it.
    pol = [f["details"] for f in fs if f["id"].startswith("dmarc-") and "policy" in f.get("details", {})]
    no_dmarc = [f for f in fs if f["id"] == "dmarc-invalid" and ("apply no dmarc" in f["message"] or "no dmarc policy applies" in f["message"])]
    broken = [f for f in fs if f["id"] == "dmarc-invalid" and f["severity"] == "error"]
    if "dmarc-missing" in ids or (no_dmarc and not pol):
        v["dmarc"] = "missing"
    elif broken or ("dmarc-invalid" in ids and not pol):
        v["dmarc"] = "invalid"
    else:
        if pol:
            d = pol[0]
            v["dmarc"] = "p=" + d["policy"] + (",t=y" if d.get("t") == "y" else "")
        else:
            v["dmarc"] = "p=none"
    order = [("mta-sts-missing", "missing"), ("mta-sts-record-invalid", "record-invalid"),
             ("mta-sts-policy-unavailable", "unavailable"), ("mta-sts-policy-invalid", "policy-invalid"),
             ("mta-sts-testing", "testing"), ("mta-sts-none", "none")]
    v["mtasts"] = next((name for fid, name in order if fid in ids), "enforce")
    if "mta-sts-mx-mismatch" in ids:
        v["mtasts"] += "+mx-mismatch"
    if "tlsrpt-invalid" in ids:
        v["tlsrpt"] = "invalid"
    elif "tlsrpt-missing" in ids:
        v["tlsrpt"] = "missing"
    elif v["mtasts"] in ("missing", "record-invalid"):
        v["tlsrpt"] = "n/a"
    else:
        v["tlsrpt"] = "valid"
    v["dmarc"] = norm_dmarc(v["dmarc"])
    return v


def checkdmarc_verdicts(domain):
    r = cd.get(domain)
    if r is None:
        return {c: "absent" for c in CHECKS}
    v = {}
    spf = r["spf"]
    if spf.get("valid"):
        v["spf"] = "valid"
    elif spf.get("record") is None and "does not exist" in str(spf.get("error")):
        v["spf"] = "missing"
    else:
        v["spf"] = "permerror"
    dm = r["dmarc"]
    if dm.get("valid"):
        tags = dm["tags"]
        pol = tags["p"]["value"] if dm["location"] == domain else tags["sp"]["value"]
        v["dmarc"] = norm_dmarc("p=" + pol + (",t=y" if tags.get("t", {}).get("value") == "y" else ""))
    elif dm.get("record") is None and "does not exist" in str(dm.get("error")):
        v["dmarc"] = "missing"
    else:
        v["dmarc"] = "invalid"
    ms = r["mta_sts"]
    err = str(ms.get("error"))
    if ms.get("valid"):
        v["mtasts"] = ms["policy"]["mode"]
        if any("is not included in the MTA-STS policy" in w for w in r["mx"].get("warnings", [])):
            v["mtasts"] += "+mx-mismatch"
    elif "MTA-STS DNS record does not exist" in err:
        v["mtasts"] = "missing"
    elif "policy fetch" in err or "HTTPSConnectionPool" in err or "Max retries" in err:
        v["mtasts"] = "unavailable"
    elif err.startswith("Line ") or "Missing required key" in err or "requires at least one mx" in err:
        v["mtasts"] = "policy-invalid"
    else:
        v["mtasts"] = "record-invalid"
    tr = r["smtp_tls_reporting"]
    if tr.get("valid"):
        v["tlsrpt"] = "valid"
    elif "does not exist" in str(tr.get("error")):
        v["tlsrpt"] = "missing"
    else:
        v["tlsrpt"] = "invalid"
    return v


def cd_error(domain, check):
    r = cd.get(domain, {})
    key = {"spf": "spf", "dmarc": "dmarc", "mtasts": "mta_sts", "tlsrpt": "smtp_tls_reporting"}[check]
    return str(r.get(key, {}).get("error") or "")[:160].replace("\n", " ").replace("|", "/")


def mf_message(domain, check):
    prefix = {"spf": "spf-", "dmarc": "dmarc-", "mtasts": "mta-sts-", "tlsrpt": "tlsrpt-"}[check]
    fs = [f for f in by_domain.get(domain, []) if f["id"].startswith(prefix) and f["id"] != "spf-platform-include-missing"]
    return "; ".join(sorted({f["id"] + ": " + f["message"][:160] for f in fs})).replace("|", "/")


rows, disagreements, mf_wrong, cd_wrong = [], [], [], []
compared = 0
for c in cases:
    d = c["domain"]
    m, k = mailform_verdicts(d), checkdmarc_verdicts(d)
    exp = dict(c["expect"])
    exp["dmarc"] = norm_dmarc(exp["dmarc"])
    for check in CHECKS:
        e, a, b = exp[check], m[check], k[check]
        row = {"domain": d, "check": check, "expected": e, "mailform": a, "checkdmarc": b, "desc": c["desc"],
               "rfc": c["rfc"], "records": c["records"], "mf_msg": mf_message(d, check), "cd_err": cd_error(d, check)}
        rows.append(row)
        if a == "n/a":
            continue
        compared += 1
        if a != b:
            disagreements.append(row)
        if a != e:
            mf_wrong.append(row)
        if b != e:
            cd_wrong.append(row)


def table(rs, title):
    print("\n## " + title + " (%d)\n" % len(rs))
    print("| domain | check | RFC expects | mailform | checkdmarc | case |")
    print("|---|---|---|---|---|---|")
    for r in rs:
        print("| %s | %s | %s | %s | %s | %s |" % (r["domain"], r["check"], r["expected"], r["mailform"], r["checkdmarc"],
                                                 r["desc"].replace("|", "/")))


table(disagreements, "mailform vs checkdmarc: disagreements")
table(mf_wrong, "mailform differs from the RFC expectation")
table(cd_wrong, "checkdmarc differs from the RFC expectation")
per_check = collections.Counter(r["check"] for r in disagreements)
print("\n%d domains, %d checks compared, %d disagreements (%s); vs RFC: mailform %d, checkdmarc %d; "
      "not comparable (mailform reports TLS-RPT only beside MTA-STS): %d"
      % (len(cases), compared, len(disagreements), ", ".join("%s %d" % kv for kv in sorted(per_check.items())) or "none",
         len(mf_wrong), len(cd_wrong), len(rows) - compared))

if RESULTS:
    with open(RESULTS, "w") as f:
        f.write("| domain | check | RFC expects | mailform | checkdmarc | agree | case | RFC |\n|---|---|---|---|---|---|---|---|\n")
        for r in rows:
            agree = "n/a" if r["mailform"] == "n/a" else ("yes" if r["mailform"] == r["checkdmarc"] else "**NO**")
            f.write("| %s | %s | %s | %s | %s | %s | %s | %s |\n" % (r["domain"], r["check"], r["expected"], r["mailform"],
                                                                 r["checkdmarc"], agree, r["desc"].replace("|", "/"), r["rfc"]))
    with open(os.path.join(OUT, "details.json"), "w") as f:
        json.dump({"disagreements": disagreements, "mailform_vs_rfc": mf_wrong, "checkdmarc_vs_rfc": cd_wrong}, f, indent=1)
