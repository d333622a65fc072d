"""How fast the sidecar's /route answers: single records (requests/s, latency) and the batch form
(records/s), against a real uvicorn server on loopback in a separate process.

    .venv/bin/python bench/bench_route.py [--seconds 5] [--batch-size 500] [--clients 4] [--json out.json]

The server runs the default chain (connect-config/router.properties) with the recipe's bindings; the
client is httpx on keep-alive connections. Goal (issue 4): at least 100,000 records/s through the batch form.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BINDINGS = {"input": "timeDest", "even": "evenDest", "odd": "oddDest"}
GOAL_RECORDS_PER_S = 100_000


def serve(port_file: Path) -> None:
    """The server process: the default app on 127.0.0.1, a free port written to `port_file`."""
    sys.path.insert(0, str(ROOT))
    from sidecar import AppInfo, SidecarServer, SidecarSettings, create_app
    from transforms import build_chain, parse_properties

    properties = parse_properties((ROOT / "connect-config" / "router.properties").read_text())
    chain = build_chain(properties, bindings=BINDINGS)
    settings = SidecarSettings(host="127.0.0.1", port=0)
    app = create_app(chain, info=AppInfo(bindings=BINDINGS), settings=settings)
    server = SidecarServer(app, settings, handle_signals=True)
    port_file.write_text(str(server.port))
    server.run()


def timestamps(count: int) -> list[str]:
    """`count` distinct time-source values, even and odd seconds alternating."""
    return [f"05/17/19 17:{(i // 60) % 60:02d}:{i % 60:02d}" for i in range(count)]


def run_for(
    seconds: float, clients: int, make_call: Callable[[httpx.Client], Callable[[], None]], url: str
) -> tuple[list[float], float]:
    """Run `clients` threads, each calling as fast as it can for `seconds`; the latency of each call."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    stop = threading.Event()

    def worker(index: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            call = make_call(http)
            call()  # warm the connection
            mine = latencies[index]
            while not stop.is_set():
                started = time.perf_counter()
                call()
                mine.append(time.perf_counter() - started)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return [lat for per_client in latencies for lat in per_client], elapsed


def single(http: httpx.Client) -> Callable[[], None]:
    values = timestamps(120)
    counter = iter(range(10**12))

    def call() -> None:
        response = http.post("/route", content=values[next(counter) % 120], headers={"content-type": "text/plain"})
        assert response.status_code == 200, response.text

    return call


def batch_of(size: int) -> Callable[[httpx.Client], Callable[[], None]]:
    body = json.dumps({"records": [{"value": v, "key": "sensor-1"} for v in timestamps(size)]}).encode()

    def make(http: httpx.Client) -> Callable[[], None]:
        def call() -> None:
            response = http.post("/route/batch", content=body, headers={"content-type": "application/json"})
            assert response.status_code == 200, response.text

        return call

    return make


@dataclass(frozen=True)
class Row:
    case: str
    requests_per_s: float
    records_per_s: int
    p50_ms: float
    p99_ms: float
    records_per_s_at_p50: int  # the rate were every call as fast as the median: less sensitive to other load


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each measurement")
    parser.add_argument("--batch-size", type=int, default=500, help="records per /route/batch request")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client connections")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # internal: the server process
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0

    port_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_route_{os.getpid()}.port"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("The benchmark's server did not start; see its output above.")
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port_file.read_text()}"
        while True:
            try:
                httpx.get(f"{url}/actuator/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)

        rows: list[Row] = []
        for name, clients, make, per_call in (
            ("single record, 1 client", 1, single, 1),
            (f"single record, {args.clients} clients", args.clients, single, 1),
            (f"batch of {args.batch_size}, 1 client", 1, batch_of(args.batch_size), args.batch_size),
            (f"batch of {args.batch_size}, 2 clients", 2, batch_of(args.batch_size), args.batch_size),
        ):
            latencies, elapsed = run_for(args.seconds, clients, make, url)
            rows.append(
                Row(
                    case=name,
                    requests_per_s=round(len(latencies) / elapsed, 1),
                    records_per_s=round(len(latencies) * per_call / elapsed),
                    p50_ms=round(statistics.median(latencies) * 1000, 3),
                    p99_ms=round(percentile(latencies, 0.99) * 1000, 3),
                    records_per_s_at_p50=round(clients * per_call / statistics.median(latencies)),
                )
            )
    finally:
        server.terminate()
        server.wait(10)
        port_file.unlink(missing_ok=True)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n/route on 127.0.0.1, uvicorn in one process; {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load} (other work on the machine lowers these figures)"
    )
    print(f"{'case':<28} {'requests/s':>11} {'records/s':>11} {'p50 ms':>9} {'p99 ms':>9} {'records/s at p50':>17}")
    for row in rows:
        print(
            f"{row.case:<28} {row.requests_per_s:>11,.0f} {row.records_per_s:>11,} "
            f"{row.p50_ms:>9.3f} {row.p99_ms:>9.3f} {row.records_per_s_at_p50:>17,}"
        )
    best_batch = max(row.records_per_s for row in rows if row.case.startswith("batch"))
    verdict = "meets" if best_batch >= GOAL_RECORDS_PER_S else "MISSES"
    print(f"batch form: {best_batch:,} records/s, {verdict} the goal of {GOAL_RECORDS_PER_S:,} records/s")
    if args.json:
        document = {
            "rows": [asdict(row) for row in rows],
            "goal_records_per_s": GOAL_RECORDS_PER_S,
            "load_average": os.getloadavg(),
        }
        args.json.write_text(json.dumps(document, indent=2))
    return 0 if best_batch >= GOAL_RECORDS_PER_S else 1


if __name__ == "__main__":
    sys.exit(main())
