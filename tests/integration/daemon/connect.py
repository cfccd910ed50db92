#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""connect.py HOST PORT [TIMEOUT [SOURCE]]: one TCP connect (from the address SOURCE, when
given). Exit 0 connected, 1 timed out (dropped), 2 refused. Used from the peer namespace to tell
an open port from a dropped one."""
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 0.2
family = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM)
s.settimeout(timeout)
if len(sys.argv) > 4:
    s.bind((sys.argv[4], 0))
try:
    s.connect((host, port))
except (socket.timeout, TimeoutError):
    sys.exit(1)
except ConnectionRefusedError:
    sys.exit(2)
finally:
    s.close()
sys.exit(0)
