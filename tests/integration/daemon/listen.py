#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""listen.py PORT [SECONDS]: accepts TCP connections on every address (IPv4 and IPv6) of the
box, for at most SECONDS (default 120), so a test can tell the firewall's verdict from a
missing listener."""
import select
import socket
import sys
import time

port = int(sys.argv[1])
deadline = time.monotonic() + (float(sys.argv[2]) if len(sys.argv) > 2 else 120)
srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
srv.bind(("::", port))
srv.listen(64)
print("listening", port, flush=True)
while time.monotonic() < deadline:
    r, _, _ = select.select([srv], [], [], 0.5)
    if r:
        c, _ = srv.accept()
        c.close()
