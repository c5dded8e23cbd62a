#!/usr/bin/python3
"""Crash and concurrency trials for mailform apply (the hardening issue).

usage: bench/trials.py MAILFORM [--crashes 100] [--races 50] [--companies 10000]

Crash trials: the store alternates between two workspaces A and B that differ
in every SMTP company's user name. Each trial starts `mailform apply` of the
other workspace, kills it with SIGKILL at a random moment of its run, then
checks PRAGMA integrity_check, that the store is wholly before or wholly after
(user names all A or all B; revision count +0 or +1), and that the next apply
succeeds. Race trials: two applies of A and B start at once against one store;
the store must end wholly A or wholly B, with one revision per successful
apply, and a failed one must name the lock or a stale plan.
"""
import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("mailform")
parser.add_argument("--crashes", type=int, default=100)
parser.add_argument("--races", type=int, default=50)
parser.add_argument("--companies", type=int, default=10000)
args = parser.parse_args()
here = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp(prefix="mailform-trials-")
env = dict(os.environ, MAILFORM_STORE_KEY="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NO_COLOR="1")
store = os.path.join(work, "store.db")


def generate(name, changed):
    path = os.path.join(work, name)
    subprocess.run(["/usr/bin/python3", os.path.join(here, "generate.py"), str(args.companies), path, "--changed", str(changed), "--seed", "3"], check=True)
    return os.path.join(path, "companies")


A = generate("a", 0)
B = generate("b", 100)


def apply(files, capture=False):
    return subprocess.Popen([args.mailform, "apply", files, "--store", store, "--create-store", "--auto-approve", "--no-probe", "--force", "--lock-timeout", "60", "-q"],
                            env=env, stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)


def state():
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        changed = db.execute("SELECT COUNT(*) FROM smtp_servers WHERE pool_name = '' AND username LIKE 'changed-%'").fetchone()[0]
        total = db.execute("SELECT COUNT(*) FROM smtp_servers WHERE pool_name = '' AND username IS NOT NULL").fetchone()[0]
        companies = db.execute("SELECT COUNT(*) FROM companies").fetchone()[0]
        revisions = db.execute("SELECT COUNT(*) FROM revisions").fetchone()[0]
    finally:
        db.close()
    if changed == 0:
        which = "A"
    elif changed == total:
        which = "B"
    else:
        which = f"MIXED({changed}/{total})"
    return integrity, which, companies, revisions


# The store starts as A; time one apply to know the window to kill in.
start = time.time()
p = apply(A)
p.wait()
assert p.returncode == 0, p.stderr.read()
window = time.time() - start
current = "A"
consistent = 0
killed_during = 0
rng = random.Random(1)
for trial in range(args.crashes):
    target, files = ("B", B) if current == "A" else ("A", A)
    _, _, _, revisions_before = state()
    p = apply(files)
    time.sleep(rng.uniform(0, window * 1.1))
    finished = p.poll() is not None
    p.kill()
    p.wait()
    integrity, which, companies, revisions = state()
    ok = integrity == "ok" and companies == args.companies and (
        (which == current and revisions == revisions_before) or (which == target and revisions == revisions_before + 1))
    if which == current and not finished:
        killed_during += 1
    # The next apply succeeds and brings the store to the target.
    p = apply(files)
    p.wait()
    integrity2, which2, _, _ = state()
    ok = ok and p.returncode == 0 and integrity2 == "ok" and which2 == target
    consistent += ok
    if not ok:
        print(f"trial {trial}: INCONSISTENT integrity={integrity} state={which} revisions {revisions_before}->{revisions}", file=sys.stderr)
    current = target
print(f"crash trials: {consistent}/{args.crashes} consistent ({killed_during} killed before their commit; apply takes {window:.2f} s)")

races_ok = 0
for trial in range(args.races):
    _, before, _, revisions_before = state()
    pa, pb = apply(A, capture=True), apply(B, capture=True)
    outputs = [p.communicate() for p in (pa, pb)]
    codes = [pa.returncode, pb.returncode]
    errors = [err.decode() for _, err in outputs]
    integrity, which, companies, revisions = state()
    # An apply that found nothing to change exits 0 without a revision.
    succeeded = sum(1 for out, _ in outputs if b"Apply complete" in out)
    explained = all(code == 0 or "stale plan" in err or "locked" in err for code, err in zip(codes, errors))
    ok = integrity == "ok" and which in ("A", "B") and succeeded >= 1 and revisions == revisions_before + succeeded and explained
    races_ok += ok
    if not ok:
        print(f"race {trial}: codes={codes} state={which} revisions {revisions_before}->{revisions} {errors}", file=sys.stderr)
print(f"race trials: {races_ok}/{args.races} consistent (exactly the successful applies wrote; no lost update)")
shutil.rmtree(work)
sys.exit(0 if consistent == args.crashes and races_ok == args.races else 1)
