#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Latency from `systemctl disable UNIT` returning to the unit's port being closed in the
kernel, and from `systemctl enable UNIT` returning to it being open again (no --now: the unit
stays inactive, so its file state alone decides). scale-bench.sh runs it with thousands of
units enabled, where every disable and enable also makes systemd reload itself.

Runs inside the box's network namespace and timestamps nf_tables set-element events (the
NFNLGRP_NFTABLES group `nft monitor` uses), so nothing is polled. A change applied before
systemctl returned counts as 0 ms.

usage: disable_latency.py COUNT TIMEOUT_S UNIT -- SYSTEMCTL-PREFIX...
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

count, timeout, unit = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
systemctl = sys.argv[sys.argv.index("--") + 1:]

nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
nl.bind((0, 0))
nl.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, NFNLGRP_NFTABLES)
nl.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)


def wait_for(kind, since):
    """Monotonic ns of the first `kind` set-element event at or after `since`, or None."""
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
    return None


def drain():
    nl.settimeout(0.05)
    try:
        while True:
            nl.recv(1 << 16)
    except socket.timeout:
        pass


results = {"disable": [], "enable": []}
calls = {"disable": [], "enable": []}
missed = 0
for _ in range(count):
    for verb, kind in (("disable", NFT_MSG_DELSETELEM), ("enable", NFT_MSG_NEWSETELEM)):
        drain()
        start = time.monotonic_ns()
        subprocess.run([*systemctl, verb, unit], check=True, capture_output=True)
        returned = time.monotonic_ns()
        event = wait_for(kind, start)
        if event is None:
            missed += 1
            print(f"  {verb}: no element event within {timeout} s", flush=True)
            continue
        results[verb].append(max(0.0, (event - returned) / 1e6))
        calls[verb].append((returned - start) / 1e6)

for verb, what in (("disable", "closed"), ("enable", "open")):
    xs = results[verb]
    if not xs:
        print(f"  {verb} -> port {what}: no measurement")
        continue
    print(f"  systemctl {verb} returns -> port {what}: n={len(xs)} median {statistics.median(xs):.1f} ms "
          f"max {max(xs):.1f} ms (systemctl {verb} itself: median {statistics.median(calls[verb]):.0f} ms)")
sys.exit(1 if missed else 0)
