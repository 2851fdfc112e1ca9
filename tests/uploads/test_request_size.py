"""A request declaring a body over the limit is answered 413 at once, from its Content-Length alone:
the portal reads none of the body (a client that declares 10 GB and sends 16 bytes gets its answer
without the server waiting for the rest)."""

from __future__ import annotations

import json
import select
import socket
import time

import pytest

from portal import uploads

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

DECLARED = 10 * 1024 ** 3


def _answer(sock: socket.socket, *, deadline: float) -> bytes:
    """Everything the server sends until its answer is complete (by its Content-Length) or the
    connection closes; fails at the deadline."""
    received = b""
    while True:
        head, _, body = received.partition(b"\r\n\r\n")
        if _:
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), None)
            if length is not None and len(body) >= length:
                return received
        left = deadline - time.monotonic()
        assert left > 0, f"no complete answer within the deadline; received {received[:300]!r}"
        ready, _, _ = select.select([sock], [], [], left)
        if ready:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk


@pytest.mark.parametrize("path", ["/api/contests/", "/contests/isp/submit/"])
def test_a_declared_10_gb_body_gets_413_without_the_body_being_sent(live_server, path):
    port = int(live_server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
                     f"Content-Length: {DECLARED}\r\n\r\n".encode() + b"0" * 16)
        answer = _answer(sock, deadline=time.monotonic() + 20)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 413 Request Entity Too Large"
    message = uploads.request_too_large_message(DECLARED)
    assert message.startswith("The upload is 10240.0 MB; the limit for a task zip is 50.0 MB.")
    if path.startswith("/api/"):
        assert json.loads(body) == {"detail": message}
    else:
        assert message in body.decode()
