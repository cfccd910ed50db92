#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal FTP server and client for the FTP helper test (python3's standard library has an
FTP client but no server; nothing else is needed on the test box).

  ftp.py serve PORT SECONDS FIRST_DATA_PORT   serve one file, "hello.txt", on every address, in
                                              passive mode only (PASV and EPSV), data ports from
                                              FIRST_DATA_PORT up; stop after SECONDS
  ftp.py get HOST PORT                        log in, fetch hello.txt in passive mode; print it
                                              and exit 0, or exit 1 (every wait is bounded)
"""
import ftplib
import selectors
import socket
import sys
import threading
import time

CONTENT = b"portcullis ftp helper test\r\n"


def serve_client(conn, family, data_ports):
    f = conn.makefile("rwb", buffering=0)
    data = None

    def reply(text):
        f.write(text.encode() + b"\r\n")

    reply("220 portcullis test ftp")
    conn.settimeout(10)
    try:
        for raw in f:
            cmd, _, arg = raw.decode(errors="replace").strip().partition(" ")
            cmd = cmd.upper()
            if cmd == "USER":
                reply("331 any password")
            elif cmd == "PASS":
                reply("230 logged in")
            elif cmd in ("TYPE", "MODE", "STRU"):
                reply("200 ok")
            elif cmd in ("PASV", "EPSV"):
                if data:
                    data.close()
                data = socket.socket(family, socket.SOCK_STREAM)
                data.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                port = next(data_ports)
                data.bind((conn.getsockname()[0], port))
                data.listen(1)
                data.settimeout(3)
                if cmd == "PASV":
                    host = conn.getsockname()[0].replace(".", ",")
                    reply("227 Entering Passive Mode (%s,%d,%d)" % (host, port >> 8, port & 255))
                else:
                    reply("229 Entering Extended Passive Mode (|||%d|)" % port)
            elif cmd == "RETR":
                if not data:
                    reply("425 use PASV first")
                    continue
                reply("150 opening data connection")
                try:
                    d, _ = data.accept()
                    d.sendall(CONTENT)
                    d.close()
                    reply("226 done")
                except OSError:
                    reply("425 no data connection")
                data.close()
                data = None
            elif cmd == "QUIT":
                reply("221 bye")
                break
            else:
                reply("502 not implemented")
    except OSError:
        pass
    conn.close()


def serve(port, seconds, first_data_port):
    counter = iter(range(first_data_port, first_data_port + 1000))
    sel = selectors.DefaultSelector()
    for family, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        srv = socket.socket(family, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        srv.bind((host, port))
        srv.listen(8)
        sel.register(srv, selectors.EVENT_READ, family)
    print("listening", port, flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            conn, _ = key.fileobj.accept()
            threading.Thread(target=serve_client, args=(conn, key.data, counter),
                             daemon=True).start()


def get(host, port):
    ftp = ftplib.FTP(timeout=3)
    ftp.connect(host, port)
    ftp.login("test", "test")
    ftp.set_pasv(True)
    chunks = []
    ftp.retrbinary("RETR hello.txt", chunks.append)
    ftp.quit()
    body = b"".join(chunks)
    sys.stdout.write(body.decode())
    return 0 if body == CONTENT else 1


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
    else:
        try:
            sys.exit(get(sys.argv[2], int(sys.argv[3])))
        except (OSError, EOFError, ftplib.Error) as e:
            print("ftp failed:", e, file=sys.stderr)
            sys.exit(1)
