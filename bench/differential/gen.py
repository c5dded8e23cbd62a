#!/usr/bin/env python3
"""Writes everything the differential run needs from corpus.py into OUT:

  OUT/zones/<zone>.zone   one Knot zone per TLD-like name (dt, psdy, ...)
  OUT/knot.conf           Knot configuration serving them on 127.0.0.1:PORT
  OUT/policies.json       host -> {status, ctype, body, cert} for sts_server.py
  OUT/ws/                 mailform workspace: mailform.yaml + one company per domain
  OUT/cases.json          the corpus with each check's expected verdict
  OUT/domains.txt         the domains, one a line

  gen.py OUT PORT
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import corpus  # noqa: E402

OUT, PORT = sys.argv[1], int(sys.argv[2])
DEFAULT_SPF = "v=spf1 ip4:192.0.2.10 -all"
DEFAULT_DMARC = "v=DMARC1; p=none; rua=mailto:dmarc@rua.dt"
DEFAULTS = {"spf": "valid", "dmarc": "p=none", "mtasts": "missing", "tlsrpt": "missing"}

# Helper names the cases point at (SPF includes, report addresses).
HELPERS = [
    ("_spf.ok.dt", "TXT", "v=spf1 ip4:203.0.113.0/24 -all"),
    ("nospf.ok.dt", "TXT", "hello"),
    ("_loop1.ok.dt", "TXT", "v=spf1 include:_loop2.ok.dt -all"),
    ("_loop2.ok.dt", "TXT", "v=spf1 include:_loop1.ok.dt -all"),
    ("rua.dt", "MX", "10 mx.rua.dt."),
    ("mx.rua.dt", "A", "127.0.0.1"),
    ("*._report._dmarc.rua.dt", "TXT", "v=DMARC1"),
    ("other-reports.dt", "MX", "10 mx.rua.dt."),
    ("elsewhere.dt", "MX", "10 mx.rua.dt."),
    ("_c1.chain.dt", "TXT", "v=spf1 -all"),
] + [("_c%d.chain.dt" % k, "TXT", "v=spf1 include:_c%d.chain.dt -all" % (k - 1)) for k in range(2, 12)]


def quote(text):
    if text.startswith('"'):
        return text  # already character-strings
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def zone_of(name):
    labels = name.rstrip(".").split(".")
    return labels[-1]


def main():
    zones = {z: [] for z in corpus.TLDS}
    for z, record in corpus.TLDS.items():
        if record:
            zones[z].append(("_dmarc." + z, "TXT", record))
    zones["dt"] += HELPERS
    cases = []
    for c in corpus.CASES:
        d = c["domain"]
        recs = list(c["records"])
        exp = dict(DEFAULTS)
        exp.update(c["expect"])
        if "spf" not in c["expect"]:
            recs.append((d, "TXT", DEFAULT_SPF))
        if "dmarc" not in c["expect"]:
            recs.append(("_dmarc." + d, "TXT", DEFAULT_DMARC))
        if c["mx"]:
            recs += [(d, "MX", "10 mx.%s." % d), ("mx." + d, "A", "127.0.0.1")]
        for r in recs:
            zones[zone_of(r[0])].append(r)
        cases.append({"domain": d, "desc": c["desc"], "rfc": c["rfc"], "expect": exp,
                      "records": [list(r) for r in recs if r[0] != "mx." + d and r[1] != "MX"]})

    zdir = os.path.join(OUT, "zones")
    os.makedirs(zdir, exist_ok=True)
    for z, recs in zones.items():
        lines = ["$ORIGIN %s." % z, "$TTL 300",
                 "@ SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300" % (z, z), "@ NS ns.%s." % z, "ns A 127.0.0.1"]
        seen = set()
        for name, rtype, data in recs:
            key = (name, rtype, data)
            if key in seen:
                continue
            seen.add(key)
            rdata = quote(data) if rtype == "TXT" else data
            lines.append("%s. %s %s" % (name, rtype, rdata))
        with open(os.path.join(zdir, z + ".zone"), "w") as f:
            f.write("\n".join(lines) + "\n")

    root = os.path.abspath(OUT)
    with open(os.path.join(HERE, "knot.conf.in")) as f:
        conf = f.read().replace("@ROOT@", root).replace("@PORT@", str(PORT)).replace("@ZONEDIR@", os.path.abspath(zdir))
    conf += "".join("  - domain: %s\n" % z for z in zones)
    with open(os.path.join(OUT, "knot.conf"), "w") as f:
        f.write(conf)

    policies = {"mta-sts." + c["domain"]: c["policy"] for c in corpus.CASES if c["policy"]}
    with open(os.path.join(OUT, "policies.json"), "w") as f:
        json.dump(policies, f, indent=1)

    ws = os.path.join(OUT, "ws")
    os.makedirs(os.path.join(ws, "companies"), exist_ok=True)
    with open(os.path.join(ws, "mailform.yaml"), "w") as f:
        f.write("mode: saas\nplatform:\n  spf_include: _spf.platform.dt\nprobe:\n  concurrency: 64\n"
                "  require_mta_sts: true\n  dns:\n    timeout: 3s\n")
    for i, c in enumerate(cases):
        c["company"] = "c%04d" % i
        with open(os.path.join(ws, "companies", c["company"] + ".yaml"), "w") as f:
            f.write("company: %s\nsender:\n  email: no-reply@%s\ndsar_sender:\n  email: dpo@%s\nprovider: platform\n"
                    % (c["company"], c["domain"], c["domain"]))
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    with open(os.path.join(OUT, "domains.txt"), "w") as f:
        f.write("\n".join(c["domain"] for c in cases) + "\n")
    print("%d cases, %d zones" % (len(cases), len(zones)), file=sys.stderr)


main()
