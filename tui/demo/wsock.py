"""The server side of RFC 6455 as the API server speaks it for exec and port-forward:
the upgrade handshake with a subprotocol chosen from the client's list, and binary
frames (the client's masked, the server's not)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import struct
import threading
from typing import Any, BinaryIO

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class Closed(Exception):
    pass


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def choose(offered: str, supported: tuple[str, ...]) -> str:
    """The first protocol of ours the client offers (the API server's order: newest)."""
    wanted = [p.strip() for p in offered.split(",") if p.strip()]
    return next((p for p in supported if p in wanted), "")


class Socket:
    """One upgraded connection: read frames from its buffered reader, write whole frames
    under a lock (two threads write: the command's output and the status)."""

    def __init__(self, rfile: BinaryIO, conn: Any) -> None:
        self.rfile, self.conn = rfile, conn
        self._lock = threading.Lock()
        self.closed = False

    def _read(self, n: int) -> bytes:
        data = self.rfile.read(n)
        if len(data) < n:
            raise Closed()
        return data

    def recv(self) -> tuple[int, bytes]:
        """One message (fragments joined); pings answered; Closed at the end."""
        parts: list[bytes] = []
        opcode = OP_BINARY
        while True:
            b1, b2 = self._read(2)
            fin, op = b1 & 0x80, b1 & 0x0F
            length = b2 & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", self._read(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", self._read(8))
            mask = self._read(4) if b2 & 0x80 else b""
            data = self._read(length)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            if op == OP_PING:
                self.send(data, OP_PONG)
                continue
            if op == OP_PONG:
                continue
            if op == OP_CLOSE:
                self.close()
                raise Closed()
            if op != OP_CONT:
                opcode = op
            parts.append(data)
            if fin:
                return opcode, b"".join(parts)

    def send(self, data: bytes, opcode: int = OP_BINARY) -> None:
        n = len(data)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        with self._lock:
            if self.closed and opcode != OP_CLOSE:
                raise Closed()
            try:
                self.conn.sendall(head + data)
            except OSError:
                self.closed = True
                raise Closed() from None

    def close(self, code: int = 1000) -> None:
        if self.closed:
            return
        with contextlib.suppress(Closed):
            self.send(struct.pack("!H", code), OP_CLOSE)
        self.closed = True

    def linger(self, seconds: float = 1.0) -> None:
        """After our close, read until the client's (the closing handshake): a socket
        closed with the client's frames unread is reset, and a reset can drop what was
        sent just before it (kubectl exec once printed nothing under a loaded machine)."""
        with contextlib.suppress(Closed, OSError, ValueError):
            self.conn.settimeout(seconds)
            while True:
                self.recv()
