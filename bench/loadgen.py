"""HTTP load generator: keep-alive HTTP/1.1 over raw asyncio streams (uvloop when present).

Runs in its own process (`python -m bench.loadgen ...`) and writes one JSON object (to
`--out`, or stdout).
Two modes, both against loopback only:

- closed loop: `--concurrency` connections each send the next request as soon as the previous
  answer arrives, for `--warmup` s (not recorded) then `--duration` s or `--requests` requests;
- open loop: `--rate` requests per second for `--requests` requests, whatever the answers.

A raw client rather than httpx: on a 2-core machine the generator shares the CPU with the
server it measures, so the cheaper it is per request the less it skews the comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import time
from pathlib import Path
from urllib.parse import urlsplit

BENCH_TOKEN = "apt_bench-load-generator"
"""Sent as `Authorization: Bearer` with every request (the pool's parts accept it)."""
MAX_DURATION_S = 300.0
MAX_REQUESTS = 500_000


@dataclasses.dataclass
class Results:
    latencies_s: list[float] = dataclasses.field(default_factory=list)
    statuses: dict[int, int] = dataclasses.field(default_factory=dict)
    first_sent: float = 0.0
    last_answered: float = 0.0
    warmup_requests: int = 0

    def record(self, status: int, started: float, answered: float) -> None:
        self.latencies_s.append(answered - started)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.first_sent = min(self.first_sent or started, started)
        self.last_answered = max(self.last_answered, answered)


def build_request(url: str, body: bytes) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"loopback only, not {parts.hostname}")
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {BENCH_TOKEN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return parts.hostname, parts.port or 80, head.encode() + body


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    """Send one request and read its whole answer; returns the status code."""
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    if length is None:
        raise RuntimeError(f"answer without Content-Length: {lines[0]}")
    await reader.readexactly(length)
    return int(lines[0].split(" ", 2)[1])


@dataclasses.dataclass
class Budget:
    """Shared stop rule of the closed loop: a deadline and a request count."""

    deadline: float
    remaining: int

    def take(self) -> bool:
        if self.remaining <= 0 or time.perf_counter() >= self.deadline:
            return False
        self.remaining -= 1
        return True


async def closed_loop_connection(
    host: str, port: int, raw: bytes, warmup_until: float, budget: Budget, results: Results
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < warmup_until:
            await exchange(reader, writer, raw)
            results.warmup_requests += 1
        while budget.take():
            started = time.perf_counter()
            status = await exchange(reader, writer, raw)
            results.record(status, started, time.perf_counter())
    finally:
        writer.close()


async def closed_loop(args: argparse.Namespace, host: str, port: int, raw: bytes) -> Results:
    results = Results()
    warmup_until = time.perf_counter() + args.warmup
    budget = Budget(warmup_until + args.duration, args.requests)
    await asyncio.gather(
        *(
            closed_loop_connection(host, port, raw, warmup_until, budget, results)
            for _ in range(args.concurrency)
        )
    )
    return results


async def open_loop(args: argparse.Namespace, host: str, port: int, raw: bytes) -> Results:
    """One request every 1/rate s on the first idle connection (a new one if none is idle)."""
    results = Results()
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    in_flight: set[asyncio.Task[None]] = set()

    async def one() -> None:
        conn = idle.pop() if idle else await asyncio.open_connection(host, port)
        started = time.perf_counter()
        status = await exchange(*conn, raw)
        results.record(status, started, time.perf_counter())
        idle.append(conn)

    start = time.perf_counter()
    for i in range(args.requests):
        await asyncio.sleep(max(0.0, start + i / args.rate - time.perf_counter()))
        task = asyncio.create_task(one())
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)
    for _, writer in idle:
        writer.close()
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--body", default='{"input": {"message": "x"}}')
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=0.0)
    parser.add_argument("--duration", type=float, default=MAX_DURATION_S)
    parser.add_argument("--requests", type=int, default=MAX_REQUESTS)
    parser.add_argument("--rate", type=float, default=0.0, help="open loop at this rate")
    parser.add_argument("--out", default="", help="write the answer here, not to stdout")
    args = parser.parse_args(argv)
    args.duration = min(args.duration, MAX_DURATION_S)
    args.requests = min(args.requests, MAX_REQUESTS)
    return args


async def generate(args: argparse.Namespace) -> dict[str, object]:
    host, port, raw = build_request(args.url, args.body.encode())
    loop = closed_loop if args.rate <= 0 else open_loop
    cpu_before = time.process_time()
    results = await loop(args, host, port, raw)
    elapsed = results.last_answered - results.first_sent
    return {
        "requests": len(results.latencies_s),
        "elapsed_s": elapsed,
        "warmup_requests": results.warmup_requests,
        "cpu_s": time.process_time() - cpu_before,
        "statuses": results.statuses,
        "latencies_s": results.latencies_s,
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        import uvloop

        results = uvloop.run(generate(args))
    except ImportError:
        results = asyncio.run(generate(args))
    if args.out:  # a file: a large answer through a pipe came back cut, now and then
        Path(args.out).write_text(json.dumps(results))
    else:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
