#!/usr/bin/env python3
"""Bulk transfer through the tunnel with a SHA-256 check.

    bulk.py serve ADDR PORT        accept one connection, read to EOF
    bulk.py send ADDR PORT BYTES SOURCE
                                   connect from address SOURCE and send BYTES
                                   pseudo-random bytes

Both print "<bytes> <sha256 hex>" of what they sent or received, so the
caller compares the two lines. Every socket operation times out after 60 s.
"""

import hashlib
import random
import socket
import sys

CHUNK = 65536
TIMEOUT_S = 60


def serve(addr: str, port: int) -> None:
    with socket.create_server((addr, port)) as listener:
        listener.settimeout(TIMEOUT_S)
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(TIMEOUT_S)
            digest = hashlib.sha256()
            total = 0
            while True:
                data = conn.recv(CHUNK)
                if not data:
                    break
                digest.update(data)
                total += len(data)
    print(total, digest.hexdigest())


def send(addr: str, port: int, count: int, source_addr: str) -> None:
    generator = random.Random(count)
    digest = hashlib.sha256()
    # Binding the inner source address makes the connection match the
    # tunnel's traffic selectors instead of leaving through the outer path.
    with socket.create_connection((addr, port), timeout=TIMEOUT_S,
                                  source_address=(source_addr, 0)) as conn:
        remaining = count
        while remaining > 0:
            data = generator.randbytes(min(CHUNK, remaining))
            conn.sendall(data)
            digest.update(data)
            remaining -= len(data)
        conn.shutdown(socket.SHUT_WR)
        # Wait for the server to close, so every byte was read before the
        # caller compares the two digests.
        conn.recv(1)
    print(count, digest.hexdigest())


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
        return 0
    if len(sys.argv) == 6 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
