#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Listeners and clients for the nftables integration tests (python3 is on every test box; nc
and socat may not be).

  net.py listen SECONDS ADDR:PORT...     accept and close connections until SECONDS pass
  net.py connect HOST PORT TIMEOUT       exit 0 when a TCP connection is made, 1 when not
  net.py loop HOST PORT SECONDS GAP      connect every GAP seconds for SECONDS; print
                                         "attempts=N failures=M" and exit 0
Every wait is bounded.
"""
import selectors
import socket
import sys
import time


def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def split_hostport(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def listen(seconds, endpoints):
    sel = selectors.DefaultSelector()
    for ep in endpoints:
        host, port = split_hostport(ep)
        s = socket.socket(family_of(host), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family_of(host) == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, port))
        s.listen(128)
        sel.register(s, selectors.EVENT_READ)
    print("listening", flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            try:
                conn, _ = key.fileobj.accept()
                conn.close()
            except OSError:
                pass
    return 0


def connect_once(host, port, timeout):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd = argv[1]
    if cmd == "listen":
        return listen(float(argv[2]), argv[3:])
    if cmd == "connect":
        return 0 if connect_once(argv[2], int(argv[3]), float(argv[4])) else 1
    if cmd == "loop":
        host, port, seconds, gap = argv[2], int(argv[3]), float(argv[4]), float(argv[5])
        attempts = failures = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            attempts += 1
            if not connect_once(host, port, 0.5):
                failures += 1
            time.sleep(gap)
        print(f"attempts={attempts} failures={failures}", flush=True)
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
