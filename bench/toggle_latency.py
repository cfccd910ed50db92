#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Latency from `systemctl --user enable --now UNIT` returning to the port being open in the
kernel, and from `disable --now` returning to it being closed.

Runs inside the box's network namespace. Listens to nf_tables netlink events (the same
NFNLGRP_NFTABLES group `nft monitor` uses) and timestamps every set-element message for the
daemon's table, so the measurement needs no polling. A change the daemon applied before
systemctl even returned counts as 0 ms (and is counted separately).

usage: toggle_latency.py COUNT UNIT -- SYSTEMCTL-PREFIX...
"""
import socket
import statistics
import struct
import subprocess
import sys
import time

NETLINK_NETFILTER = 12
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NFNLGRP_NFTABLES = 7
NFT_MSG_NEWSETELEM, NFT_MSG_DELSETELEM = 12, 14
NFNL_SUBSYS_NFTABLES = 10

count, unit = int(sys.argv[1]), sys.argv[2]
systemctl = sys.argv[sys.argv.index("--") + 1:]

nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
nl.bind((0, 0))
nl.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, NFNLGRP_NFTABLES)
nl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)


def wait_for(kind, since, timeout=5.0):
    """Monotonic ns of the first `kind` set-element event at or after `since`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        nl.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = nl.recv(1 << 16)
        except socket.timeout:
            break
        now = time.monotonic_ns()
        off = 0
        while off + 16 <= len(data):
            length, mtype = struct.unpack_from("=IH", data, off)
            if length < 16:
                break
            if mtype == (NFNL_SUBSYS_NFTABLES << 8 | kind) and now >= since:
                return now
            off += (length + 3) & ~3
    raise SystemExit(f"no {'add' if kind == NFT_MSG_NEWSETELEM else 'delete'} element event within {timeout} s")


def drain():
    nl.settimeout(0.05)
    try:
        while True:
            nl.recv(1 << 16)
    except socket.timeout:
        pass


def run(*args):
    subprocess.run([*systemctl, *args, unit], check=True, capture_output=True)


opened, closed = [], []
call = {"enable": [], "disable": []}
for _ in range(count):
    for verb, kind, out in (("enable", NFT_MSG_NEWSETELEM, opened), ("disable", NFT_MSG_DELSETELEM, closed)):
        drain()
        start = time.monotonic_ns()
        run(verb, "--now")
        returned = time.monotonic_ns()
        event = wait_for(kind, start)
        out.append((event - returned) / 1e6)
        call[verb].append((returned - start) / 1e6)
        time.sleep(0.05)


def report(name, xs):
    xs = sorted(xs)
    p99 = xs[min(len(xs) - 1, int(round(0.99 * (len(xs) - 1))))]
    early = sum(1 for x in xs if x <= 0)
    clamped = [max(0.0, x) for x in xs]
    print(f"  {name:<38} n={len(xs):<4} median {statistics.median(clamped):7.2f} ms   "
          f"p99 {max(0.0, p99):7.2f} ms   max {max(0.0, xs[-1]):7.2f} ms   "
          f"(already applied when systemctl returned: {early})")


report("enable --now -> port open in kernel", opened)
report("disable --now -> port closed in kernel", closed)
# Yardstick from the same run: how long the systemctl calls themselves took.
for verb in ("enable", "disable"):
    print(f"  {'(systemctl ' + verb + ' --now itself)':<38} n={len(call[verb]):<4} median "
          f"{statistics.median(call[verb]):7.2f} ms")
