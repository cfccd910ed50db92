#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""stay-connected.py HOST PORT [SECONDS]: the peer's end of an admin session. Connects, prints
"connected", prints each line the box sends ("got bye"), and ends when the box closes the
connection or after SECONDS (default 60)."""
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection((host, port), timeout=5)
print("connected", s.getsockname()[1], flush=True)
s.settimeout(float(sys.argv[3]) if len(sys.argv) > 3 else 60)
buf = b""
while True:
    data = s.recv(100)
    if not data:
        break
    buf += data
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        print("got", line.decode(), flush=True)
print("closed", flush=True)
