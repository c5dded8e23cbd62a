#!/usr/bin/env python3
"""Writes a workspace of N varied, valid synthetic company files.

usage: bench/generate.py N DIR [--changed PERCENT --seed S] [--own-files]

Companies cycle through the shapes real workspaces have: SMTP with STARTTLS,
SMTP with pools, Mailgun US and EU, and the platform default. Secrets are
${file:} references to a few shared fake files, so the workspace runs with no
setup. With --changed, that share of companies gets a different SMTP port
user (for plans against a store applied from the unchanged files).
With --own-files, as users have them: every company reads secret files of
its own (secrets/batch/NNN/ID-*.txt) and has a logo image of its own
(logos/batch/NNN/ID.png, a small PNG with its own pixels).
"""
import os
import random
import struct
import sys
import zlib


def png(seed):
    """A valid 16x16 RGB PNG whose pixels come from `seed` (about 800 bytes)."""
    rng = random.Random(seed)
    raw = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(48)) for _ in range(16))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def company(i, variant):
    cid = f"c{i:06d}"
    domain = f"{cid}.bench.example.com"
    head = (
        "# yaml-language-server: $schema=../../../schemas/company.schema.json\n"
        f"company: {cid}\n"
        f"name: Benchmark Company {i}\n"
        "sender:\n"
        f"  email: no-reply@{domain}\n"
        f"  name: Company {i} Privacy\n"
        f"  logo: https://cdn.{domain}/logo.png\n"
        "dsar_sender:\n"
        f"  email: dpo@{domain}\n"
        f"  name: Company {i} DPO\n"
    )
    kind = i % 10
    if kind < 5:
        body = (
            "provider: smtp\n"
            "smtp:\n"
            f"  host: smtp.{domain}\n"
            "  port: 587\n"
            f"  username: {variant}mailer@{domain}\n"
            "  password: ${file:../secrets/smtp.txt}\n"
            "  starttls: required\n"
            "  ssl_check_identity: true\n"
            "  ssl_protocols: [TLSv1.2, TLSv1.3]\n"
        )
        if kind == 4:
            body += (
                "smtp_pools:\n"
                "  dsar-relay:\n"
                "    use_for: [dsar]\n"
                "    strategy: failover\n"
                "    servers:\n"
                f"      - host: relay1.{domain}\n"
                "        port: 587\n"
                f"        username: dsar@{domain}\n"
                "        password: ${file:../secrets/pool.txt}\n"
                f"      - host: relay2.{domain}\n"
                "        port: 587\n"
                f"        username: dsar@{domain}\n"
                "        password: ${file:../secrets/pool.txt}\n"
            )
    elif kind < 8:
        region = "eu" if kind == 7 else "us"
        head = head.replace(f"@{domain}", f"@mg.{domain}")
        body = (
            "provider: mailgun\n"
            "mailgun:\n"
            f"  domain: mg.{domain}\n"
            "  api_key: ${file:../secrets/mailgun.txt}\n"
            f"  region: {region}\n"
        )
    else:
        body = "provider: platform\n"
    return cid, head + body


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    changed = 0.0
    seed = 1
    own = False
    args = sys.argv[3:]
    while args:
        flag = args.pop(0)
        if flag == "--changed":
            changed = float(args.pop(0)) / 100
        elif flag == "--seed":
            seed = int(args.pop(0))
        elif flag == "--own-files":
            own = True
    rng = random.Random(seed)
    os.makedirs(os.path.join(out, "companies", "batch"), exist_ok=True)
    os.makedirs(os.path.join(out, "secrets"), exist_ok=True)
    with open(os.path.join(out, "mailform.yaml"), "w") as f:
        f.write("mode: saas\nstore: ./mailform.db\nsafety:\n  max_deletes: 100000\n  max_changed_percent: 100\n"
                # Generated tenants share three secret files: listed as shared
                # (every other secret belongs to one company).
                "secrets:\n  shared: [\"${file:secrets/smtp.txt}\", \"${file:secrets/pool.txt}\", \"${file:secrets/mailgun.txt}\"]\n")
    for name in ("smtp", "pool", "mailgun"):
        with open(os.path.join(out, "secrets", f"{name}.txt"), "w") as f:
            f.write(f"FAKE-bench-secret-{name}\n")
    chosen = set(rng.sample(range(n), int(n * changed))) if changed else set()
    for i in range(n):
        cid, text = company(i, "changed-" if i in chosen else "")
        # The fixed part of the id keeps files sorted; a folder per 1,000 keeps listings short.
        folder = os.path.join(out, "companies", "batch", f"{i // 1000:03d}")
        os.makedirs(folder, exist_ok=True)
        text = text.replace("../secrets/", "../../../secrets/").replace("../../../schemas", "../../../../schemas")
        if own:
            batch = f"{i // 1000:03d}"
            for name in ("smtp", "pool", "mailgun"):
                shared = f"${{file:../../../secrets/{name}.txt}}"
                if shared in text:
                    sfolder = os.path.join(out, "secrets", "batch", batch)
                    os.makedirs(sfolder, exist_ok=True)
                    with open(os.path.join(sfolder, f"{cid}-{name}.txt"), "w") as f:
                        f.write(f"FAKE-bench-secret-{name}-{cid}\n")
                    text = text.replace(shared, f"${{file:../../../secrets/batch/{batch}/{cid}-{name}.txt}}")
            lfolder = os.path.join(out, "logos", "batch", batch)
            os.makedirs(lfolder, exist_ok=True)
            with open(os.path.join(lfolder, f"{cid}.png"), "wb") as f:
                f.write(png(i))
            text = text.replace(f"  logo: https://cdn.{cid}.bench.example.com/logo.png\n", f"  logo: ../../../logos/batch/{batch}/{cid}.png\n")
        with open(os.path.join(folder, f"{cid}.yaml"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
