#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The admin's action -> the port reachable from a peer, and back: the helper of
firewalld-side-by-side.sh. Runs in the PEER network namespace and connects to HOST:PORT over
the veth, while the admin's commands (a bash script each, which enters the box by itself) run.

usage: reach_latency.py HOST PORT COUNT OPEN_SCRIPT CLOSE_SCRIPT

For each of COUNT rounds: starts OPEN_SCRIPT and polls with TCP connects (10 ms timeout; the
veth answers in microseconds) until one succeeds; then starts CLOSE_SCRIPT and connects until
one fails: refused, rejected (firewalld answers with an ICMP error) or timed out after 200 ms
(a drop, which is what portcullis does in enforce mode). A closing time is the start of the
first failing connect, so the wait for the timeout is not counted.

A script may print "mark NAME0 US" and "mark NAME1 US" lines (bash: ${EPOCHREALTIME/./}) around
one command: the time from NAME0 to the port's change is reported too, and the command's own
duration (NAME1 - NAME0).

Output: human lines, and "RESULT key median_ms" lines for the caller to pick up.
"""
import socket
import statistics
import subprocess
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
scripts = {"open": sys.argv[4], "close": sys.argv[5]}
ROUND_LIMIT_S = 30.0  # every wait is bounded


def now_us():
    return time.time_ns() // 1000


def connects():
    """True if a TCP connect succeeds."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.01)
    try:
        s.connect((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def fails():
    """Start (us) of a connect that fails (refused, ICMP error, or 200 ms without an answer),
    or None if it connected."""
    start = now_us()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.2)
    try:
        s.connect((host, port))
        return None
    except OSError:
        return start
    finally:
        s.close()


def one(kind):
    """Runs the script of `kind`; returns (us of the change, ms to it, {mark: us}, script ms)."""
    start = now_us()
    proc = subprocess.Popen(["bash", scripts[kind]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    changed = None
    deadline = time.monotonic() + ROUND_LIMIT_S
    while changed is None and time.monotonic() < deadline:
        if kind == "open":
            t = now_us()
            if connects():
                changed = t
            else:
                time.sleep(0.002)
        else:
            changed = fails()
            if changed is None:
                time.sleep(0.002)
    try:
        out, err = proc.communicate(timeout=ROUND_LIMIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise SystemExit(f"{kind} script did not finish within {ROUND_LIMIT_S} s")
    ended = now_us()
    if proc.returncode != 0:
        raise SystemExit(f"{kind} script failed ({proc.returncode}): {err.strip()}")
    if changed is None:
        raise SystemExit(f"port {port} not {'open' if kind == 'open' else 'closed'} within {ROUND_LIMIT_S} s")
    marks = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == "mark":
            marks[f[1]] = int(f[2])
    return changed, (changed - start) / 1000, marks, (ended - start) / 1000


if connects():
    raise SystemExit(f"port {port} is reachable before the first round")
res = {}
for _ in range(count):
    for kind in ("open", "close"):
        changed, ms, marks, script_ms = one(kind)
        res.setdefault(kind, []).append(ms)
        res.setdefault(f"{kind}_script", []).append(script_ms)
        for name, us in marks.items():
            if not name.endswith("0"):
                continue
            res.setdefault(f"{kind}_from_{name[:-1]}", []).append((changed - us) / 1000)
            if name[:-1] + "1" in marks:
                res.setdefault(f"{kind}_{name[:-1]}_call", []).append((marks[name[:-1] + "1"] - us) / 1000)
        time.sleep(0.1)

for key, xs in res.items():
    print(f"  {key:<28} n={len(xs):<3} median {statistics.median(xs):8.1f} ms   "
          f"min {min(xs):8.1f}   max {max(xs):8.1f}")
for key, xs in res.items():
    print(f"RESULT {key} {statistics.median(xs):.1f}")
