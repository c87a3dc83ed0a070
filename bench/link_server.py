#!/usr/bin/env python3
"""A loopback HTTP/1.1 server for the live link benchmark (Python 3.11 stdlib only).

Every GET or HEAD of `/p/N` answers 200 with a small body after LATENCY_MS (default 50 ms) of
`asyncio.sleep`, so any number of requests wait at the same time and the server adds latency,
not a queue. Connections are kept alive (HTTP/1.1 keep-alive; `Connection: close` from the
client is honoured). Anything else under `/p/` and other paths: 404.

Control paths (no latency, not counted):
  GET  /__stats  -> {"total": N, "paths": {"/p/0": 1, ...}, "methods": {"GET": N},
                     "connections": C, "max_in_flight": M}
  POST /__reset  (or GET)  -> zeroes the counters

Usage: link_server.py [--host 127.0.0.1] [--port 0] [--latency-ms 50] [--port-file FILE]
With --port 0 the kernel picks a free port; it is printed on stdout ("listening on HOST:PORT")
and written to --port-file when given.
"""
import argparse
import asyncio
import collections
import json
import signal

BODY = b"<!doctype html><title>ok</title><p>packetgate link benchmark page</p>\n"


class Stats:
    def __init__(self):
        self.reset()

    def reset(self):
        self.paths = collections.Counter()
        self.methods = collections.Counter()
        self.connections = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def as_json(self):
        return json.dumps({
            "total": sum(self.paths.values()),
            "paths": dict(self.paths),
            "methods": dict(self.methods),
            "connections": self.connections,
            "max_in_flight": self.max_in_flight,
        }).encode()


def response(status, reason, body, keep_alive, content_type="text/html; charset=utf-8",
             head=False):
    lines = [
        f"HTTP/1.1 {status} {reason}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
        "Connection: keep-alive" if keep_alive else "Connection: close",
        "", "",
    ]
    return "\r\n".join(lines).encode("latin-1") + (b"" if head else body)


async def handle(reader, writer, stats, latency):
    stats.connections += 1
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            try:
                method, target, version = lines[0].split(" ", 2)
            except ValueError:
                return
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            length = int(headers.get("content-length", "0") or 0)
            if length:
                await reader.readexactly(length)
            conn = headers.get("connection", "").lower()
            keep_alive = conn != "close" and (version == "HTTP/1.1" or conn == "keep-alive")
            path = target.split("?", 1)[0]
            if path == "/__stats":
                out = response(200, "OK", stats.as_json(), keep_alive, "application/json")
            elif path == "/__reset":
                stats.reset()
                out = response(200, "OK", b'{"reset": true}', keep_alive, "application/json")
            elif method in ("GET", "HEAD"):
                stats.paths[path] += 1
                stats.methods[method] += 1
                stats.in_flight += 1
                stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
                try:
                    await asyncio.sleep(latency)
                finally:
                    stats.in_flight -= 1
                rest = path[3:] if path.startswith("/p/") else ""
                if rest.isdigit():
                    out = response(200, "OK", BODY, keep_alive, head=method == "HEAD")
                else:
                    out = response(404, "Not Found", b"not found\n", keep_alive,
                                   head=method == "HEAD")
            else:
                out = response(405, "Method Not Allowed", b"", keep_alive)
            writer.write(out)
            await writer.drain()
            if not keep_alive:
                return
    except ConnectionError:
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    stats = Stats()
    latency = args.latency_ms / 1000.0
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, stats, latency), args.host, args.port, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        import os
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"listening on {args.host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
