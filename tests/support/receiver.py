"""A small HTTP server for webhook tests: it answers ``statuses`` in turn (then 200) and
keeps each request; a 302 points at ``redirect_to``; a 500 comes with a 5000-byte body."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    host: str = "127.0.0.1"
    redirect_to: str = "http://169.254.169.254/"
    port: int = 0
    server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {
            k.lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:] if ":" in x)
        }
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append((lines[0], headers, body))
        status = self.statuses.pop(0) if self.statuses else 200
        extra = f"Location: {self.redirect_to}\r\n" if status == 302 else ""
        reply = b"x" * 5000 if status == 500 else b"ok"
        head = f"HTTP/1.1 {status} X\r\n{extra}Content-Length: {len(reply)}\r\n"
        writer.write(f"{head}Connection: close\r\n\r\n".encode() + reply)
        await writer.drain()
        writer.close()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.handle, self.host, 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}/hooks/orbit?src=test"
