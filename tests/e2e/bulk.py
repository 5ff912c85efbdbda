#!/usr/bin/env python3
"""Bulk TCP transfer with an end-to-end checksum, for the e2e tests.

  bulk.py serve PORT            accept one connection, read until EOF, reply
                                with "<bytes> <sha256>" and exit
  bulk.py send HOST PORT BYTES  send BYTES of seeded pseudo-random data, then
                                compare the server's reply with the local
                                count and checksum; exit 0 when they match
"""
import hashlib
import random
import socket
import sys


def serve(port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(1)
    srv.settimeout(120)
    conn, _ = srv.accept()
    conn.settimeout(120)
    digest = hashlib.sha256()
    total = 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        digest.update(chunk)
        total += len(chunk)
    conn.sendall(f"{total} {digest.hexdigest()}\n".encode())
    conn.close()
    return 0


def send(host, port, size):
    rng = random.Random(size)
    digest = hashlib.sha256()
    conn = socket.create_connection((host, port), timeout=120)
    sent = 0
    while sent < size:
        n = min(65536, size - sent)
        block = rng.randbytes(n)
        digest.update(block)
        conn.sendall(block)
        sent += n
    conn.shutdown(socket.SHUT_WR)
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = conn.recv(256)
        if not chunk:
            break
        reply += chunk
    conn.close()
    expected = f"{size} {digest.hexdigest()}"
    got = reply.decode().strip()
    if got != expected:
        print(f"bulk: mismatch: sent {expected}, server saw {got}")
        return 1
    print(f"bulk: {size} bytes, sha256 matches")
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        return serve(int(sys.argv[2]))
    if len(sys.argv) == 5 and sys.argv[1] == "send":
        return send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
