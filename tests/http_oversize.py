"""Sending a body over a server's limit over a real socket, and reading the whole answer.

``declared``: the body announces that many bytes (``Content-Length``) and only ``sent`` of them go out;
``chunked``: that many bytes go out in chunked transfer encoding, with no terminating chunk."""

from __future__ import annotations

import socket
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str


def send_oversize(port: int, head: str, *, declared: int | None = None, chunked: int | None = None,
                  sent: int = 1024) -> Answer:
    """``head``: the request line and headers without the blank line or a length header."""
    request = head.rstrip("\r\n").encode() + b"\r\n"
    if declared is not None:
        request += f"Content-Length: {declared}\r\n\r\n".encode() + b"a" * sent
    else:
        piece = 4096
        pieces = -(-(chunked or 0) // piece)
        request += b"Transfer-Encoding: chunked\r\n\r\n" + (f"{piece:x}\r\n".encode() + b"a" * piece + b"\r\n") * pieces
    raw = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        try:
            conn.sendall(request)
        except OSError:  # the server answered and closed before it took everything: its answer is still there
            pass
        try:
            while chunk := conn.recv(65536):
                raw += chunk
        except OSError:
            pass
    head_part, _, body = raw.partition(b"\r\n\r\n")
    lines = head_part.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return Answer(status, headers, body.decode("utf-8", "replace"))
