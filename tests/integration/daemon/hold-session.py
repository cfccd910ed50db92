#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""hold-session.py PORT SCRIPT RELEASE [SECONDS]: an admin's remote session, for WouldLockOut.
Listens on PORT in the box, accepts one connection (the "session" from the peer), then runs
`sh SCRIPT` as its CHILD: the D-Bus calls in SCRIPT come from a process whose ancestor holds
the session's socket, as a busctl below a shell below sshd does. Then it writes "bye" to the
peer (the session still works after its port was closed) and holds the connection until the
file RELEASE exists. Gives up after SECONDS (default 60)."""
import os
import socket
import subprocess
import sys
import time

port, script, release = int(sys.argv[1]), sys.argv[2], sys.argv[3]
deadline = time.monotonic() + (float(sys.argv[4]) if len(sys.argv) > 4 else 60)
srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
srv.bind(("::", port))
srv.listen(1)
srv.settimeout(max(deadline - time.monotonic(), 0.1))
print("listening", port, flush=True)
conn, peer = srv.accept()
print("accepted", peer[0], peer[1], flush=True)
rc = subprocess.call(["sh", script], stdout=sys.stdout, stderr=subprocess.STDOUT)
print("script exit", rc, flush=True)
conn.sendall(b"bye\n")
while time.monotonic() < deadline and not os.path.exists(release):
    time.sleep(0.05)
conn.close()
print("released", flush=True)
