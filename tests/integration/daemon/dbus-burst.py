#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""dbus-burst.py ADDRESS CLIENT CALLS SERVICE: one client of the D-Bus burst test.

Speaks the D-Bus wire protocol over the unix socket itself (no python dbus module on the test
hosts; busctl forks once per call, which measures fork, not the daemon). Makes CALLS calls one
after the other, each waiting for its reply: property reads, Explain, and every tenth a
SetOverride of SERVICE alternating open/closed, ending on open for an even CLIENT and closed for
an odd one. Prints "latencies_ms: ..." (one per call) and "errors: N" on stdout.
"""
import os
import socket
import struct
import sys
import time

DEST = "org.portcullis1"
PATH = "/org/portcullis1"
IFACE = "org.portcullis1.Manager"


class Writer:
    def __init__(self):
        self.b = bytearray()

    def align(self, n):
        self.b += b"\0" * (-len(self.b) % n)

    def byte(self, v):
        self.b += bytes([v])

    def u16(self, v):
        self.align(2)
        self.b += struct.pack("<H", v)

    def u32(self, v):
        self.align(4)
        self.b += struct.pack("<I", v)

    def string(self, s):
        raw = s.encode()
        self.u32(len(raw))
        self.b += raw + b"\0"

    def sig(self, s):
        raw = s.encode()
        self.byte(len(raw))
        self.b += raw + b"\0"


def message(serial, path, iface, member, dest, signature="", args=()):
    body = Writer()
    for code, value in zip(signature, args):
        {"s": body.string, "q": body.u16, "u": body.u32}[code](value)
    fields = Writer()
    for code, typ, value in ((1, "o", path), (2, "s", iface), (3, "s", member), (6, "s", dest)) + (
            ((8, "g", signature),) if signature else ()):
        fields.align(8)
        fields.byte(code)
        fields.sig(typ)
        fields.sig(value) if typ == "g" else fields.string(value)
    head = Writer()
    head.b += b"l" + bytes([1, 0, 1])
    head.u32(len(body.b))
    head.u32(serial)
    head.u32(len(fields.b))
    head.b += fields.b
    head.align(8)
    return bytes(head.b + body.b)


class Conn:
    def __init__(self, address):
        path = dict(kv.split("=", 1) for kv in address.split(":", 1)[1].split(","))["path"]
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)  # a daemon that stops answering fails the test, not hangs it
        self.sock.connect(path)
        uid = str(os.getuid()).encode().hex()
        self.sock.sendall(b"\0AUTH EXTERNAL " + uid.encode() + b"\r\n")
        if not self.sock.recv(4096).startswith(b"OK"):
            raise SystemExit("auth refused")
        self.sock.sendall(b"BEGIN\r\n")
        self.buf = b""
        self.serial = 0
        self.call("/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello", "org.freedesktop.DBus")

    def read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise SystemExit("bus closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def call(self, path, iface, member, dest, signature="", args=()):
        """Returns True for a method return, False for an error reply."""
        self.serial += 1
        self.sock.sendall(message(self.serial, path, iface, member, dest, signature, args))
        while True:
            head = self.read(16)
            mtype = head[1]
            body_len, _, fields_len = struct.unpack("<III", head[4:16])
            fields = self.read(fields_len + (-(16 + fields_len) % 8))[:fields_len]
            self.read(body_len)
            if mtype in (2, 3) and self.reply_serial(fields) == self.serial:
                return mtype == 2

    @staticmethod
    def reply_serial(fields):
        i = 0
        while i < len(fields):
            i += -i % 8
            code, siglen = fields[i], fields[i + 1]
            typ = fields[i + 2:i + 2 + siglen].decode()
            i += 3 + siglen
            if typ in ("s", "o"):
                i += -i % 4
                (n,) = struct.unpack_from("<I", fields, i)
                i += 4 + n + 1
            elif typ == "g":
                i += 1 + fields[i] + 1
            elif typ == "u":
                i += -i % 4
                if code == 5:
                    return struct.unpack_from("<I", fields, i)[0]
                i += 4
            else:
                raise SystemExit("unexpected header field type " + typ)
        return None


def main():
    address, client, calls, service = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    conn = Conn(address)
    props = ["Mode", "LastError", "EnabledServices", "OpenPorts", "CatalogSize"]
    toggles = calls // 10
    # The last toggle must leave SERVICE open for an even client, closed for an odd one.
    state = ["closed", "open"] if (toggles % 2 == 0) == (client % 2 == 0) else ["open", "closed"]
    latencies, errors, n_toggle = [], 0, 0
    for i in range(calls):
        start = time.monotonic()
        if i % 10 == 9:
            ok = conn.call(PATH, IFACE, "SetOverride", DEST, "ss", (service, state[n_toggle % 2]))
            n_toggle += 1
        elif i % 10 in (3, 7):
            ok = conn.call(PATH, IFACE, "Explain", DEST, "sq", ("tcp", 18101 + client))
        else:
            ok = conn.call(PATH, "org.freedesktop.DBus.Properties", "Get", DEST, "ss",
                           (IFACE, props[i % len(props)]))
        latencies.append((time.monotonic() - start) * 1000)
        errors += 0 if ok else 1
    print("latencies_ms: " + " ".join("%.3f" % x for x in latencies))
    print("errors: %d" % errors)


if __name__ == "__main__":
    main()
