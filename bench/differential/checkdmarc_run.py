#!/usr/bin/env python3
"""Runs checkdmarc (the installed package) on the corpus, against 127.0.0.1:53.

  checkdmarc_run.py DOMAINS_FILE CA_FILE > out.json

checkdmarc downloads MTA-STS policies with `requests`, which resolves names
through the system resolver. So that it fetches from the same lab as
mailform: socket.getaddrinfo is patched to resolve mta-sts.* through the
corpus DNS server (dnspython, A records; no address -> gaierror, as a real
resolver would), and REQUESTS_CA_BUNDLE points at the lab CA (requests'
Session.get uses it since checkdmarc passes no `verify`).
"""
import json
import os
import socket
import sys

import dns.resolver

domains = [d.strip() for d in open(sys.argv[1]) if d.strip()]
os.environ["REQUESTS_CA_BUNDLE"] = sys.argv[2]

_resolver = dns.resolver.Resolver(configure=False)
_resolver.nameservers = ["127.0.0.1"]
_real = socket.getaddrinfo


def getaddrinfo(host, port, *args, **kwargs):
    if isinstance(host, str) and host.lower().startswith("mta-sts."):
        try:
            answer = _resolver.resolve(host, "A")
        except Exception:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [item for a in answer for item in _real(a.address, port, *args, **kwargs)]
    return _real(host, port, *args, **kwargs)


socket.getaddrinfo = getaddrinfo

import checkdmarc  # noqa: E402

results = checkdmarc.check_domains(domains, nameservers=["127.0.0.1"], timeout=3.0)
if isinstance(results, dict):
    results = [results]
json.dump(results, sys.stdout, default=str, indent=1)
