"""A TCP proxy on 127.0.0.1 that adds a fixed one-way delay, to make loopback hosts look remote.

    python -m tests.bench.latency_proxy --delay-ms 5 198.18.0.11:22 198.18.0.12:22

For each target it listens on a free port of 127.0.0.1 (never another address) and prints
``listen PORT HOST:PORT``, then ``ready``; each accepted connection prints ``accept PORT``.
Every chunk read from one side is written to the other ``delay`` later, in order, without
waiting for earlier chunks to be acknowledged: a link with round-trip time 2 x delay and no
bandwidth limit (what ``tc netem delay`` would do, which needs a kernel module this machine
lacks). Runs until killed or its stdin closes.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import time

Chunk = tuple[float, bytes | None]  # (deliver at, data; None = end of stream)


async def _read(reader: asyncio.StreamReader, queue: asyncio.Queue[Chunk], delay: float) -> None:
    """Read one direction and queue every chunk with its delivery time."""
    try:
        while data := await reader.read(65536):
            queue.put_nowait((time.monotonic() + delay, data))
    except OSError:
        pass
    queue.put_nowait((time.monotonic() + delay, None))


async def _write(writer: asyncio.StreamWriter, queue: asyncio.Queue[Chunk]) -> None:
    """Write queued chunks once their delivery time has come; half-close at end of stream."""
    try:
        while True:
            due, data = await queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()
    except OSError:
        pass


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    queue: asyncio.Queue[Chunk] = asyncio.Queue()
    await asyncio.gather(_read(reader, queue, delay), _write(writer, queue))


def _nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def _serve(target: tuple[str, int], delay: float, port_box: list[int]) -> asyncio.Server:
    async def handle(client_reader: asyncio.StreamReader,
                     client_writer: asyncio.StreamWriter) -> None:
        print(f"accept {port_box[0]}", flush=True)
        try:
            await asyncio.sleep(delay)  # the client's SYN travelling out
            server_reader, server_writer = await asyncio.open_connection(*target)
        except OSError:
            client_writer.close()
            return
        _nodelay(client_writer)
        _nodelay(server_writer)
        try:
            await asyncio.gather(_pipe(client_reader, server_writer, delay),
                                 _pipe(server_reader, client_writer, delay))
        except asyncio.CancelledError:  # shutting down
            pass
        finally:
            for writer in (client_writer, server_writer):
                writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port_box.append(server.sockets[0].getsockname()[1])
    return server


async def _main(targets: list[tuple[str, int]], delay: float) -> None:
    servers = []
    for host, port in targets:
        box: list[int] = []
        servers.append(await _serve((host, port), delay, box))
        print(f"listen {box[0]} {host}:{port}", flush=True)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # the parent closes stdin (or dies): stop
    for server in servers:
        server.close()


def parse_target(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, default=5.0, help="one-way delay")
    parser.add_argument("targets", nargs="+", metavar="HOST:PORT")
    args = parser.parse_args()
    asyncio.run(_main([parse_target(t) for t in args.targets], args.delay_ms / 1000))


if __name__ == "__main__":
    main()
