"""The differential corpus: one case per sender domain, as data.

Each case: domain, what it tests, the DNS records it needs beyond the
defaults, the MTA-STS policy served for it (if any), and the verdict the
RFCs expect per check:

  spf     valid | permerror | missing                  (RFC 7208; a broken record
          and one over the 10-lookup limit are both permerror)
  dmarc   missing | invalid | p=<policy>[,t=y]         (RFC 9989; the policy a
          receiver applies to mail From: the domain, sp= for a subdomain)
  mtasts  missing | record-invalid | unavailable | policy-invalid |
          enforce | testing | none, "+mx-mismatch"     (RFC 8461)
  tlsrpt  valid | invalid | missing                    (RFC 8460)

A key absent from `expect` means the defaults: spf valid, dmarc p=none,
mtasts missing, tlsrpt missing. `rfc` cites the section the expectation
rests on. Every name lives under a TLD-like zone of its own (dt, psdy, ...)
that the generator serves too, so a tree walk never leaves the server.
"""

TLDS = {
    # zone: records at the zone apex's _dmarc (psd=y: a public-suffix operator).
    "dt": None,
    "psdy": "v=DMARC1; p=quarantine; sp=reject; psd=y; rua=mailto:psd@rua.dt",
    "plaintld": "v=DMARC1; p=quarantine; rua=mailto:tld@rua.dt",
    "psdn": "v=DMARC1; p=reject; psd=n; rua=mailto:psdn@rua.dt",
}

CASES = []


def case(domain, desc, records=(), expect=None, policy=None, rfc="", defaults=True, mx=True):
    CASES.append({"domain": domain, "desc": desc, "records": list(records), "expect": dict(expect or {}),
                  "policy": policy, "rfc": rfc, "defaults": defaults, "mx": mx})


def TXT(name, *texts):
    return [(name, "TXT", t) for t in texts]


def dmarc(name, text, **expect):
    return TXT("_dmarc." + name, text)


RUA = "rua=mailto:dmarc@rua.dt"

# --- DMARC: record syntax and tags (RFC 9989 sections 4.7, 4.10) ------------
D = [
    ("dm-none", "v=DMARC1; p=none; " + RUA, "p=none", "4.7 p"),
    ("dm-quarantine", "v=DMARC1; p=quarantine; " + RUA, "p=quarantine", "4.7 p"),
    ("dm-reject", "v=DMARC1; p=reject; " + RUA, "p=reject", "4.7 p"),
    ("dm-reject-norua", "v=DMARC1; p=reject", "p=reject", "4.7 p (rua optional)"),
    ("dm-upper-value", "v=DMARC1; p=REJECT; " + RUA, "p=reject", "4.8 ABNF: values are case-insensitive literals"),
    ("dm-t-y", "v=DMARC1; p=reject; t=y; " + RUA, "p=reject,t=y", "4.7 t"),
    ("dm-t-n", "v=DMARC1; p=reject; t=n; " + RUA, "p=reject", "4.7 t"),
    ("dm-t-y-none", "v=DMARC1; p=none; t=y; " + RUA, "p=none,t=y", "4.7 t"),
    ("dm-t-bad", "v=DMARC1; p=quarantine; t=maybe; " + RUA, "p=quarantine", "4.8: invalid value -> default (t=n)"),
    ("dm-pct", "v=DMARC1; p=reject; pct=50; " + RUA, "p=reject", "removed tag pct ignored (unknown tags MUST be ignored, 4.7)"),
    ("dm-pct0", "v=DMARC1; p=reject; pct=0; " + RUA, "p=reject", "pct removed: pct=0 no longer disables the policy"),
    ("dm-pct150", "v=DMARC1; p=quarantine; pct=150; " + RUA, "p=quarantine", "pct removed: any value ignored"),
    ("dm-rf", "v=DMARC1; p=reject; rf=afrf; " + RUA, "p=reject", "removed tag rf ignored"),
    ("dm-ri", "v=DMARC1; p=reject; ri=3600; " + RUA, "p=reject", "removed tag ri ignored"),
    ("dm-unknown-tag", "v=DMARC1; p=reject; foo=bar; " + RUA, "p=reject", "4.7: unknown tags MUST be ignored"),
    ("dm-lower-version", "v=dmarc1; p=reject; " + RUA, "missing", "4.7 v: value MUST match precisely, else record ignored"),
    ("dm-mixed-version", "v=Dmarc1; p=reject; " + RUA, "missing", "4.7 v: value MUST match precisely"),
    ("dm-version-2", "v=DMARC2; p=reject; " + RUA, "missing", "4.10 step 2: not the current version -> discarded"),
    ("dm-no-p-rua", "v=DMARC1; " + RUA, "p=none", "4.7 p / 4.10.1: no p with a valid rua -> p=none"),
    ("dm-no-p-norua", "v=DMARC1; adkim=s", "missing", "4.10.1: no valid p and no rua -> no DMARC processing"),
    ("dm-bad-p-rua", "v=DMARC1; p=bogus; " + RUA, "p=none", "4.10.1: invalid p with a valid rua -> act as p=none"),
    ("dm-bad-p-norua", "v=DMARC1; p=bogus", "missing", "4.10.1: invalid p, no rua -> no DMARC processing"),
    ("dm-bad-sp-rua", "v=DMARC1; p=reject; sp=bogus; " + RUA, "p=none", "4.10.1: invalid sp with a valid rua -> act as p=none"),
    ("dm-bad-np-rua", "v=DMARC1; p=reject; np=bogus; " + RUA, "p=none", "4.10.1: invalid np with a valid rua -> act as p=none"),
    ("dm-bad-sp-norua", "v=DMARC1; p=reject; sp=bogus", "missing", "4.10.1: invalid sp, no rua -> no DMARC processing"),
    ("dm-bad-adkim", "v=DMARC1; p=reject; adkim=x; " + RUA, "p=reject", "4.8: invalid adkim -> default r"),
    ("dm-np-valid", "v=DMARC1; p=reject; np=none; " + RUA, "p=reject", "4.7 np (applies to non-existent subdomains only)"),
    ("dm-p-order", "v=DMARC1; " + RUA + "; p=quarantine", "p=quarantine", "4.7: only v must come first"),
    ("dm-spaces", "v = DMARC1 ; p = reject ; " + RUA, "p=reject", "4.8 ABNF: *WSP around = and ;"),
    ("dm-no-semicolon", "v=DMARC1 p=reject", "missing", "4.8 ABNF: v=DMARC1 must be followed by ; (else not a DMARC1 record)"),
    ("dm-trailing-semi", "v=DMARC1; p=reject;", "p=reject", "4.8 ABNF: trailing ; allowed"),
    ("dm-rua-bad-uri", "v=DMARC1; p=reject; rua=dmarc@rua.dt", "p=reject", "4.7 rua: unsupported URIs MUST be ignored; policy stands"),
    ("dm-rua-two", "v=DMARC1; p=reject; rua=mailto:a@rua.dt,mailto:b@rua.dt", "p=reject", "4.4 URIs comma-separated"),
    ("dm-rua-external", "v=DMARC1; p=reject; rua=mailto:dmarc@other-reports.dt", "p=reject",
     "4.7 rua + aggregate-reporting: unverified external destination only stops reports, not the policy"),
    ("dm-rua-https", "v=DMARC1; p=quarantine; rua=https://reports.rua.dt/dmarc", "p=quarantine", "4.7 rua: any valid URI"),
    ("dm-rua-size", "v=DMARC1; p=reject; rua=mailto:dmarc@rua.dt!10m", "p=reject", "4.8 ABNF dmarc-uri with size"),
    ("dm-psd-n-own", "v=DMARC1; p=reject; psd=n; " + RUA, "p=reject", "4.10.1: Author Domain record applies"),
    ("dm-psd-y-own", "v=DMARC1; p=quarantine; psd=y; " + RUA, "p=quarantine", "4.10.1: Author Domain record applies (p=)"),
    ("dm-psd-bad", "v=DMARC1; p=reject; psd=x; " + RUA, "p=reject", "4.8: invalid psd -> default u"),
    ("dm-fo-bad", "v=DMARC1; p=reject; fo=z; ruf=mailto:f@rua.dt; " + RUA, "p=reject", "4.8: invalid fo -> default; policy stands"),
    ("dm-dup-p", "v=DMARC1; p=reject; p=none; " + RUA, "invalid", "4.8 ABNF: duplicate tag is a syntax error (record unusable)"),
]
for name, text, exp, rfc in D:
    d = name + ".dt"
    case(d, "DMARC record " + repr(text), TXT("_dmarc." + d, text), {"dmarc": exp}, rfc="RFC 9989 " + rfc)

case("dm-missing.dt", "no DMARC record anywhere", [], {"dmarc": "missing"}, rfc="RFC 9989 4.10.1", defaults=False)
case("dm-two.dt", "two v=DMARC1 records at one name, no parent record",
     TXT("_dmarc.dm-two.dt", "v=DMARC1; p=reject; " + RUA, "v=DMARC1; p=none; " + RUA), {"dmarc": "missing"},
     rfc="RFC 9989 4.10 step 2: multiple records are all discarded")
case("x.dm-two-parent.dt", "two records at the author domain, one at its parent (p=quarantine)",
     TXT("_dmarc.x.dm-two-parent.dt", "v=DMARC1; p=reject; " + RUA, "v=DMARC1; p=none; " + RUA)
     + TXT("_dmarc.dm-two-parent.dt", "v=DMARC1; p=quarantine; " + RUA), {"dmarc": "p=quarantine"},
     rfc="RFC 9989 4.10 steps 2, 4-6: discarded, the walk goes on to the parent")
case("dm-unrelated.dt", "a DMARC record plus an unrelated TXT at _dmarc",
     TXT("_dmarc.dm-unrelated.dt", "v=DMARC1; p=reject; " + RUA, "google-site-verification=abc"), {"dmarc": "p=reject"},
     rfc="RFC 9989 4.10 step 2: records not starting with v=DMARC1 are discarded")
case("dm-spf-at-dmarc.dt", "an SPF record at _dmarc", TXT("_dmarc.dm-spf-at-dmarc.dt", "v=spf1 -all"), {"dmarc": "missing"},
     rfc="RFC 9989 4.10 step 2")
case("dm-apex-only.dt", "v=DMARC1 at the domain apex, not at _dmarc", TXT("dm-apex-only.dt", "v=DMARC1; p=reject; " + RUA),
     {"dmarc": "missing"}, rfc="RFC 9989 4.5: the record lives at _dmarc.<domain>")
case("dm-split.dt", "DMARC record split in two character-strings",
     [("_dmarc.dm-split.dt", "TXT", '"v=DMARC1; p=re" "ject; ' + RUA + '"')], {"dmarc": "p=reject"},
     rfc="RFC 9989 4.5: strings are concatenated")

# --- DMARC: tree walk (RFC 9989 section 4.10) --------------------------------
case("sub.tw-parent.dt", "no record at the subdomain; parent p=reject sp=none",
     TXT("_dmarc.tw-parent.dt", "v=DMARC1; p=reject; sp=none; " + RUA), {"dmarc": "p=none"},
     rfc="RFC 9989 4.10.1: subdomain uses sp= of the Organizational Domain")
case("sub.tw-parent-nosp.dt", "parent p=quarantine, no sp",
     TXT("_dmarc.tw-parent-nosp.dt", "v=DMARC1; p=quarantine; " + RUA), {"dmarc": "p=quarantine"},
     rfc="RFC 9989 4.10.1: without sp the p policy is used for subdomains")
case("a.b.tw-deep.dt", "record two levels up only", TXT("_dmarc.tw-deep.dt", "v=DMARC1; p=none; sp=reject; " + RUA),
     {"dmarc": "p=reject"}, rfc="RFC 9989 4.10: walk continues to the shortest name")
case("a.b.tw-mid.dt", "records at b.tw-mid.dt (p=reject) and tw-mid.dt (p=none): an intermediate name and the org domain",
     TXT("_dmarc.b.tw-mid.dt", "v=DMARC1; p=reject; " + RUA) + TXT("_dmarc.tw-mid.dt", "v=DMARC1; p=none; " + RUA),
     {"dmarc": "p=none"},
     rfc="RFC 9989 4.10.1-4.10.2: policy is the Author Domain's, else the Organizational Domain's (fewest labels: tw-mid.dt)")
case("a.b.tw-mid2.dt", "records at b.tw-mid2.dt (p=none) and tw-mid2.dt (p=reject sp=quarantine)",
     TXT("_dmarc.b.tw-mid2.dt", "v=DMARC1; p=none; " + RUA) + TXT("_dmarc.tw-mid2.dt", "v=DMARC1; p=reject; sp=quarantine; " + RUA),
     {"dmarc": "p=quarantine"}, rfc="RFC 9989 4.10.1-4.10.2 (org domain = tw-mid2.dt, its sp=)")
case("a.b.tw-interonly.dt", "record only at the intermediate name b.tw-interonly.dt",
     TXT("_dmarc.b.tw-interonly.dt", "v=DMARC1; p=reject; sp=quarantine; " + RUA), {"dmarc": "p=quarantine"},
     rfc="RFC 9989 4.10.2: the only record is the org domain's; sp= for a subdomain")
case("a.b.tw-psdn.dt", "b.tw-psdn.dt has psd=n p=reject, tw-psdn.dt p=none: walk stops at psd=n",
     TXT("_dmarc.b.tw-psdn.dt", "v=DMARC1; p=reject; psd=n; " + RUA) + TXT("_dmarc.tw-psdn.dt", "v=DMARC1; p=none; " + RUA),
     {"dmarc": "p=reject"}, rfc="RFC 9989 4.10 step 6 (psd=n stops), 4.10.2 rule 1")
case("a.b.tw-psdy.dt", "b.tw-psdy.dt p=reject (no psd), tw-psdy.dt psd=y p=none: org domain is b.tw-psdy.dt",
     TXT("_dmarc.b.tw-psdy.dt", "v=DMARC1; p=reject; " + RUA) + TXT("_dmarc.tw-psdy.dt", "v=DMARC1; p=none; psd=y; " + RUA),
     {"dmarc": "p=reject"}, rfc="RFC 9989 4.10.2 rule 2: one label below the psd=y name")
case("a.b.c.tw-psdy2.dt", "c.tw-psdy2.dt psd=y; records at b.c (p=quarantine) and a.b? no: author a.b.c; org = b.c",
     TXT("_dmarc.b.c.tw-psdy2.dt", "v=DMARC1; p=quarantine; " + RUA) + TXT("_dmarc.c.tw-psdy2.dt", "v=DMARC1; p=none; psd=y; " + RUA),
     {"dmarc": "p=quarantine"}, rfc="RFC 9989 4.10.2 rule 2")
case("x.a.b.tw-psdy3.dt", "records at a.b (p=reject), b (p=none), tw-psdy3.dt psd=y: org domain b.tw-psdy3.dt",
     TXT("_dmarc.a.b.tw-psdy3.dt", "v=DMARC1; p=reject; " + RUA) + TXT("_dmarc.b.tw-psdy3.dt", "v=DMARC1; p=none; " + RUA)
     + TXT("_dmarc.tw-psdy3.dt", "v=DMARC1; p=quarantine; psd=y; " + RUA),
     {"dmarc": "p=none"}, rfc="RFC 9989 4.10.1/4.10.2 rule 2: org domain b.tw-psdy3.dt (one below psd=y) -> its policy")
# PSD-like TLD psdy (psd=y p=quarantine sp=reject)
case("org1.psdy", "own record under a psd=y TLD", TXT("_dmarc.org1.psdy", "v=DMARC1; p=none; " + RUA), {"dmarc": "p=none"},
     rfc="RFC 9989 4.10.1: Author Domain record")
case("org2.psdy", "no record, TLD psdy has psd=y p=quarantine sp=reject", [], {"dmarc": "p=reject"},
     rfc="RFC 9989 4.10.1: PSD record applies, sp= for an existing subdomain", defaults=False)
case("mail.org3.psdy", "org3.psdy p=reject sp=none; psd=y TLD above", TXT("_dmarc.org3.psdy", "v=DMARC1; p=reject; sp=none; " + RUA),
     {"dmarc": "p=none"}, rfc="RFC 9989 4.10.2 rule 2: org domain org3.psdy, its sp=")
case("mail.org4.psdy", "no records except the psd=y TLD", [], {"dmarc": "p=reject"},
     rfc="RFC 9989 4.10.1: PSD policy (sp=reject)", defaults=False)
# TLD with a record but no psd tag
case("org1.plaintld", "no record; TLD plaintld has p=quarantine without psd", [], {"dmarc": "p=quarantine"},
     rfc="RFC 9989 4.10.2 rule 3: fewest labels -> plaintld", defaults=False)
case("org2.plaintld", "own p=reject; TLD p=quarantine", TXT("_dmarc.org2.plaintld", "v=DMARC1; p=reject; " + RUA), {"dmarc": "p=reject"},
     rfc="RFC 9989 4.10.1: Author Domain record first")
case("a.org3.plaintld", "org3 p=reject; TLD p=quarantine (no psd): org domain is plaintld",
     TXT("_dmarc.org3.plaintld", "v=DMARC1; p=reject; " + RUA), {"dmarc": "p=quarantine"},
     rfc="RFC 9989 4.10.2 rule 3: fewest labels with a record is the TLD")
# TLD psdn: psd=n at the TLD stops the walk
case("a.org1.psdn", "no record below psdn; TLD psdn psd=n p=reject", [], {"dmarc": "p=reject"},
     rfc="RFC 9989 4.10.2 rule 1", defaults=False)
# private-suffix-like hosting: host.dt is a provider (psd=y); customers below it
case("host.dt", "the hosting provider's own domain (psd=y record, p=quarantine)", TXT("_dmarc.host.dt", "v=DMARC1; p=quarantine; sp=none; psd=y; " + RUA),
     {"dmarc": "p=quarantine"}, rfc="RFC 9989 4.10.1: Author Domain's own record (p=)")
case("cust1.host.dt", "customer with its own record under a psd=y host", TXT("_dmarc.cust1.host.dt", "v=DMARC1; p=reject; " + RUA),
     {"dmarc": "p=reject"}, rfc="RFC 9989 4.10.1")
case("cust2.host.dt", "customer without a record under a psd=y host (sp=none)", [], {"dmarc": "p=none"},
     rfc="RFC 9989 4.10.1: PSD policy, sp=", defaults=False)
case("www.cust3.host.dt", "subdomain of a customer; customer p=reject sp=quarantine",
     TXT("_dmarc.cust3.host.dt", "v=DMARC1; p=reject; sp=quarantine; " + RUA), {"dmarc": "p=quarantine"},
     rfc="RFC 9989 4.10.2 rule 2 -> org cust3.host.dt")
case("a.b.cust4.host.dt", "records at b.cust4 (p=none) and cust4 (p=reject) under a psd=y host",
     TXT("_dmarc.b.cust4.host.dt", "v=DMARC1; p=none; " + RUA) + TXT("_dmarc.cust4.host.dt", "v=DMARC1; p=reject; " + RUA),
     {"dmarc": "p=reject"}, rfc="RFC 9989 4.10.2 rule 2: org domain cust4.host.dt (one below psd=y)")
# long names (more than 8 labels): the walk jumps to 7 labels
LONG9 = "l1.l2.l3.l4.l5.l6.l7.long9.dt"     # 9 labels
case(LONG9, "9 labels; record at the 8-label parent only (skipped by the walk)",
     TXT("_dmarc.l2.l3.l4.l5.l6.l7.long9.dt", "v=DMARC1; p=reject; " + RUA), {"dmarc": "missing"},
     rfc="RFC 9989 4.10 step 4: x >= 8 -> shorten to 7 labels; the 8-label name is never asked")
LONG9B = "l1.l2.l3.l4.l5.l6.l7.long9b.dt"
case(LONG9B, "9 labels; record at the 7-label name", TXT("_dmarc.l3.l4.l5.l6.l7.long9b.dt", "v=DMARC1; p=none; sp=reject; " + RUA),
     {"dmarc": "p=reject"}, rfc="RFC 9989 4.10 step 4")
LONG12 = "a.b.c.d.e.f.g.h.i.j.long12.dt"   # 12 labels
case(LONG12, "12 labels; record at long12.dt", TXT("_dmarc.long12.dt", "v=DMARC1; p=quarantine; " + RUA), {"dmarc": "p=quarantine"},
     rfc="RFC 9989 4.10 (example with 8 queries)")
case(LONG12.replace("long12", "long12b"), "12 labels; record at the author domain itself",
     TXT("_dmarc." + LONG12.replace("long12", "long12b"), "v=DMARC1; p=reject; " + RUA), {"dmarc": "p=reject"},
     rfc="RFC 9989 4.10.1: first query is the Author Domain")
LONG8 = "a.b.c.d.e.f.long8.dt"            # 8 labels
case(LONG8, "8 labels; record at the 7-label parent", TXT("_dmarc.b.c.d.e.f.long8.dt", "v=DMARC1; p=none; sp=quarantine; " + RUA),
     {"dmarc": "p=quarantine"}, rfc="RFC 9989 4.10.1: 8 or fewer labels -> start at the immediate parent")
LONG10 = "a.b.c.d.e.f.g.h.long10.dt"      # 10 labels
case(LONG10, "10 labels; record at the 9-label and 6-label names",
     TXT("_dmarc.b.c.d.e.f.g.h.long10.dt", "v=DMARC1; p=reject; " + RUA) + TXT("_dmarc.e.f.g.h.long10.dt", "v=DMARC1; p=none; sp=none; " + RUA),
     {"dmarc": "p=none"}, rfc="RFC 9989 4.10 step 4 (9-label name skipped)")

# --- SPF (RFC 7208) ----------------------------------------------------------
S = [
    ("spf-minus-all", "v=spf1 -all", "valid", "4.6"),
    ("spf-ip4", "v=spf1 ip4:192.0.2.10 ip4:198.51.100.0/24 ~all", "valid", "5.6"),
    ("spf-ip6", "v=spf1 ip6:2001:db8::/32 -all", "valid", "5.6"),
    ("spf-plus-all", "v=spf1 +all", "valid", "5.1 (legal, if unwise)"),
    ("spf-include-ok", "v=spf1 include:_spf.ok.dt -all", "valid", "5.2"),
    ("spf-redirect-ok", "v=spf1 redirect=_spf.ok.dt", "valid", "6.1"),
    ("spf-a-mx", "v=spf1 a mx -all", "valid", "5.3, 5.4"),
    ("spf-exists-macro", "v=spf1 exists:%{i}._spf.ok.dt -all", "valid", "5.7, 7"),
    ("spf-unknown-mod", "v=spf1 foo=bar -all", "valid", "6: unknown modifiers MUST be ignored"),
    ("spf-upper-version", "V=SPF1 -all", "valid", "4.5 / 12 ABNF: case-insensitive"),
    ("spf-after-all", "v=spf1 -all ip4:192.0.2.1", "valid", "5.1: mechanisms after all are never tested"),
    ("spf-ten-lookups", "v=spf1 include:_c10.chain.dt -all", "valid", "4.6.4: exactly 10 DNS-querying terms"),
    ("spf-eleven-lookups", "v=spf1 include:_c11.chain.dt -all", "permerror", "4.6.4: more than 10 -> permerror"),
    ("spf-syntax-mech", "v=spf1 foo -all", "permerror", "4.6 / 12 ABNF: unknown mechanism -> permerror"),
    ("spf-bad-ip4", "v=spf1 ip4:999.1.1.1 -all", "permerror", "5.6"),
    ("spf-bad-cidr", "v=spf1 ip4:192.0.2.0/33 -all", "permerror", "5.6: ip4-cidr-length 0-32"),
    ("spf-bad-cidr6", "v=spf1 ip6:2001:db8::/129 -all", "permerror", "5.6: ip6-cidr-length 0-128"),
    ("spf-empty-include", "v=spf1 include: -all", "permerror", "5.2 ABNF: include requires a domain-spec"),
    ("spf-include-none", "v=spf1 include:nospf.ok.dt -all", "permerror", "5.2: include of a domain with no SPF -> permerror"),
    ("spf-include-nx", "v=spf1 include:nowhere.ok.dt -all", "permerror", "5.2: include of a non-existent domain -> permerror"),
    ("spf-redirect-nx", "v=spf1 redirect=nowhere.ok.dt", "permerror", "6.1: redirect to no record -> permerror"),
    ("spf-void3", "v=spf1 a:v1.ok.dt a:v2.ok.dt a:v3.ok.dt -all", "permerror", "4.6.4: more than 2 void lookups SHOULD -> permerror"),
    ("spf-loop", "v=spf1 include:_loop1.ok.dt -all", "permerror", "4.6.4 / 5.2: include loop exceeds the lookup limit"),
    ("spf-redirect-all", "v=spf1 redirect=_spf.ok.dt -all", "valid", "6.1: redirect ignored when all is present"),
    ("spf-dup-redirect", "v=spf1 redirect=_spf.ok.dt redirect=_spf.ok.dt", "permerror", "6: redirect at most once -> permerror"),
    ("spf-ptr", "v=spf1 ptr -all", "valid", "5.5 (SHOULD NOT be used, but valid)"),
    ("spf-macro-bad", "v=spf1 exists:%{z}.ok.dt -all", "permerror", "7.1: unknown macro letter -> permerror"),
]
for name, text, exp, rfc in S:
    d = name + ".dt"
    case(d, "SPF " + repr(text), TXT(d, text), {"spf": exp}, rfc="RFC 7208 " + rfc)
case("spf-missing.dt", "no SPF record", [], {"spf": "missing"}, rfc="RFC 7208 4.5 (none)")
case("spf-two.dt", "two SPF records", TXT("spf-two.dt", "v=spf1 -all", "v=spf1 ~all"), {"spf": "permerror"},
     rfc="RFC 7208 4.5: more than one record -> permerror")
case("spf-two-strings.dt", "SPF split in two strings", [("spf-two-strings.dt", "TXT", '"v=spf1 ip4:192.0.2.1" " -all"')], {"spf": "valid"},
     rfc="RFC 7208 3.3: strings concatenated without spaces -> 'ip4:192.0.2.1 -all'")

# --- MTA-STS (RFC 8461) -------------------------------------------------------
def pol(mode, mx, max_age="604800", extra=""):
    return "version: STSv1\r\nmode: %s\r\n%smax_age: %s\r\n%s" % (mode, "".join("mx: %s\r\n" % m for m in mx), max_age, extra)


def sts(name, desc, expect, record="v=STSv1; id=20260101T01;", body=None, status=200, ctype="text/plain", cert="ok",
        host_a=True, tlsrpt="v=TLSRPTv1; rua=mailto:tls@rua.dt", rfc="", extra_records=()):
    d = name + ".dt"
    records = list(extra_records)
    if record is not None:
        records += TXT("_mta-sts." + d, *(record if isinstance(record, tuple) else (record,)))
    if host_a:
        records.append(("mta-sts." + d, "A", "127.0.0.1"))
    if tlsrpt is not None:
        records += TXT("_smtp._tls." + d, *(tlsrpt if isinstance(tlsrpt, tuple) else (tlsrpt,)))
    exp = {"mtasts": expect}
    if tlsrpt is not None and not isinstance(tlsrpt, tuple) and "tlsrpt" not in expect:
        exp["tlsrpt"] = "valid"
    policy = None
    if body is not None or status != 200:
        policy = {"status": status, "ctype": ctype, "body": body if body is not None else "", "cert": cert}
    case(d, "MTA-STS: " + desc, records, exp, policy=policy, rfc="RFC 8461 " + rfc)


MX = lambda n: ["mx.%s.dt" % n]
sts("sts-enforce", "valid enforce, mx matches", "enforce", body=pol("enforce", MX("sts-enforce")), rfc="3.1-3.3, 4.1")
sts("sts-wild", "enforce with *.sts-wild.dt", "enforce", body=pol("enforce", ["*.sts-wild.dt"]), rfc="4.1 wildcard")
sts("sts-wild-deep", "enforce with *.dt for mx.sts-wild-deep.dt (wildcard covers one label only)", "enforce+mx-mismatch",
    body=pol("enforce", ["*.dt"]), rfc="4.1: wildcard matches exactly one label")
sts("sts-testing", "mode testing", "testing", body=pol("testing", MX("sts-testing")), rfc="5")
sts("sts-none", "mode none", "none", body="version: STSv1\nmode: none\nmax_age: 86400\n", rfc="5 (none: no mx needed)")
sts("sts-mismatch", "enforce, mx lines miss the MX", "enforce+mx-mismatch", body=pol("enforce", ["mail.elsewhere.dt"]), rfc="4.1")
sts("sts-mismatch-testing", "testing, mx lines miss the MX", "testing+mx-mismatch", body=pol("testing", ["mail.elsewhere.dt"]), rfc="4.1, 5")
sts("sts-lf", "LF line endings", "enforce", body=pol("enforce", MX("sts-lf")).replace("\r\n", "\n"), rfc="3.2: CRLF or LF")
sts("sts-unknown-key", "unknown field in the policy", "enforce", body=pol("enforce", MX("sts-unknown-key"), extra="foo: bar\r\n"),
    rfc="3.2: unknown fields SHALL be ignored")
sts("sts-dup-mode", "mode appears twice (enforce, then testing)", "enforce",
    body="version: STSv1\r\nmode: enforce\r\nmode: testing\r\nmx: mx.sts-dup-mode.dt\r\nmax_age: 604800\r\n",
    rfc="3.2: if a non-mx field is duplicated, all entries except the first SHALL be ignored")
sts("sts-dup-version", "version appears twice", "enforce",
    body="version: STSv1\r\nversion: STSv1\r\nmode: enforce\r\nmx: mx.sts-dup-version.dt\r\nmax_age: 604800\r\n",
    rfc="3.2: duplicates after the first ignored")
sts("sts-dup-maxage", "max_age twice", "enforce", body=pol("enforce", MX("sts-dup-maxage"), extra="max_age: 86400\r\n"),
    rfc="3.2: duplicates after the first ignored")
sts("sts-maxage0", "max_age 0", "enforce", body=pol("enforce", MX("sts-maxage0"), max_age="0"), rfc="3.2: 0..31557600")
sts("sts-bad-mode", "mode: strict", "policy-invalid", body=pol("strict", MX("sts-bad-mode")), rfc="3.2 mode ABNF")
sts("sts-bad-version", "version: STSv2", "policy-invalid", body=pol("enforce", MX("sts-bad-version")).replace("STSv1", "STSv2"), rfc="3.2")
sts("sts-no-maxage", "no max_age", "policy-invalid", body="version: STSv1\r\nmode: enforce\r\nmx: mx.sts-no-maxage.dt\r\n", rfc="3.2 (required)")
sts("sts-big-maxage", "max_age 99999999", "policy-invalid", body=pol("enforce", MX("sts-big-maxage"), max_age="99999999"),
    rfc="3.2: max_age up to 31557600")
sts("sts-neg-maxage", "max_age -1", "policy-invalid", body=pol("enforce", MX("sts-neg-maxage"), max_age="-1"), rfc="3.2: 1*10DIGIT")
sts("sts-no-mx", "enforce without mx lines", "policy-invalid", body="version: STSv1\r\nmode: enforce\r\nmax_age: 604800\r\n",
    rfc="3.2: mx required for enforce/testing")
sts("sts-bad-mx", "mx: 'not a host!'", "policy-invalid", body=pol("enforce", ["not a host!"]), rfc="3.2 mx ABNF")
sts("sts-no-version", "no version line", "policy-invalid", body="mode: enforce\r\nmx: mx.sts-no-version.dt\r\nmax_age: 604800\r\n", rfc="3.2")
sts("sts-html", "served as text/html", "policy-invalid", body=pol("enforce", MX("sts-html")), ctype="text/html",
    rfc="3.3: the policy MUST be served with Content-Type text/plain (senders treat anything else as no valid policy)")
sts("sts-404", "policy URL answers 404", "unavailable", status=404, body="not found\n", rfc="3.3: HTTP 200 required")
sts("sts-500", "policy URL answers 500", "unavailable", status=500, body="oops\n", rfc="3.3")
sts("sts-redirect", "policy URL redirects", "unavailable", status=301, body="", rfc="3.3: redirects MUST NOT be followed")
sts("sts-expired-cert", "policy host certificate expired", "unavailable", body=pol("enforce", MX("sts-expired-cert")), cert="expired",
    rfc="3.3: HTTPS with a valid certificate")
sts("sts-wrong-cert", "certificate for another host", "unavailable", body=pol("enforce", MX("sts-wrong-cert")), cert="wronghost",
    rfc="3.3 (RFC 6125 name check)")
sts("sts-self-signed", "self-signed certificate", "unavailable", body=pol("enforce", MX("sts-self-signed")), cert="selfsigned",
    rfc="3.3: chain to a trusted root")
sts("sts-no-host", "record but mta-sts.<domain> has no address", "unavailable", host_a=False, rfc="3.3")
sts("sts-rec-noid", "record v=STSv1; (no id)", "record-invalid", record="v=STSv1;", body=pol("enforce", MX("sts-rec-noid")),
    rfc="3.1: id is required")
sts("sts-rec-badid", "id with punctuation", "record-invalid", record="v=STSv1; id=2026-01-01;", body=pol("enforce", MX("sts-rec-badid")),
    rfc="3.1: id = 1*32(ALPHA / DIGIT)")
sts("sts-rec-longid", "id of 33 characters", "record-invalid", record="v=STSv1; id=" + "a" * 33, body=pol("enforce", MX("sts-rec-longid")),
    rfc="3.1: at most 32")
sts("sts-rec-nosemi", "v=STSv1 id=1 (no ;)", "record-invalid", record="v=STSv1 id=1", body=pol("enforce", MX("sts-rec-nosemi")),
    rfc="3.1: records not beginning with v=STSv1; are discarded")
sts("sts-rec-two", "two v=STSv1 records", "record-invalid", record=("v=STSv1; id=1;", "v=STSv1; id=2;"), body=pol("enforce", MX("sts-rec-two")),
    rfc="3.1: more than one record -> senders assume no MTA-STS")
sts("sts-rec-v2", "v=STSv2; id=1 only", "missing", record="v=STSv2; id=1;", rfc="3.1: not an STSv1 record -> discarded (no MTA-STS)")
sts("sts-rec-dupid", "id= twice", "enforce", record="v=STSv1; id=1; id=2;", body=pol("enforce", MX("sts-rec-dupid")),
    rfc="3.1 (field syntax per 3.2: duplicates after the first ignored)")
sts("sts-rec-ext", "record with an extension field", "enforce", record="v=STSv1; id=20260101; foo=bar", body=pol("enforce", MX("sts-rec-ext")),
    rfc="3.1: sts-extension allowed")
sts("sts-rec-space", "v=STSv1 ; id=1 (space before ;)", "enforce", record="v=STSv1 ; id=1", body=pol("enforce", MX("sts-rec-space")),
    rfc="3.1 ABNF sts-field-delim = *WSP \";\" *WSP (but see the 'begin with v=STSv1;' rule)")
case("sts-missing.dt", "MTA-STS: no _mta-sts record", [], {"mtasts": "missing"}, rfc="RFC 8461 3.1")

# --- TLS-RPT (RFC 8460), each beside a valid enforce MTA-STS so mailform reports it
def rpt(name, record, expect, rfc):
    sts(name, "valid enforce; TLS-RPT " + repr(record), "enforce", body=pol("enforce", MX(name)), tlsrpt=record, rfc="3.1-3.3")
    CASES[-1]["desc"] = "TLS-RPT " + repr(record)
    CASES[-1]["expect"]["tlsrpt"] = expect
    CASES[-1]["rfc"] = "RFC 8460 " + rfc


rpt("rpt-mailto", "v=TLSRPTv1; rua=mailto:tls@rua.dt", "valid", "3")
rpt("rpt-https", "v=TLSRPTv1; rua=https://reports.rua.dt/tlsrpt", "valid", "3")
rpt("rpt-two-uris", "v=TLSRPTv1; rua=mailto:tls@rua.dt,https://reports.rua.dt/x", "valid", "3: comma-separated URIs")
rpt("rpt-ext", "v=TLSRPTv1; foo=bar; rua=mailto:tls@rua.dt", "valid", "3: tlsrpt-extension")
rpt("rpt-no-rua", "v=TLSRPTv1;", "invalid", "3: rua required")
rpt("rpt-bare-addr", "v=TLSRPTv1; rua=tls@rua.dt", "invalid", "3: rua is mailto: or https: URI")
rpt("rpt-http", "v=TLSRPTv1; rua=http://reports.rua.dt/x", "invalid", "3: https only")
rpt("rpt-nosemi", "v=TLSRPTv1 rua=mailto:tls@rua.dt", "invalid", "3: the record must begin with v=TLSRPTv1;")
rpt("rpt-v2", "v=TLSRPTv2; rua=mailto:tls@rua.dt", "missing", "3: other versions discarded")
rpt("rpt-two", ("v=TLSRPTv1; rua=mailto:a@rua.dt", "v=TLSRPTv1; rua=mailto:b@rua.dt"), "invalid",
    "3: more than one record -> no TLSRPT (reported as invalid)")
rpt("rpt-dup-rua", "v=TLSRPTv1; rua=mailto:a@rua.dt; rua=mailto:b@rua.dt", "valid",
    "3 (ABNF: tlsrpt-record = version 1*(field-delim tlsrpt-field); repeated rua is not forbidden)")
rpt("rpt-missing", None, "missing", "3")
rpt("rpt-space-uri", "v=TLSRPTv1; rua=mailto:tls@rua.dt , https://reports.rua.dt/x", "valid", "3 ABNF: *WSP \",\" *WSP")
