"""The sidecar under hostile load (issue 17, item 6): a real uvicorn server in its own process on loopback,
with the file-descriptor limit of a small pod (1024), flooded by amplifying batches and by slow clients
while a prober measures /actuator/health as Kubernetes would (a new connection per probe, 1 s timeout)
and the server's resident memory is sampled. Every flood is bounded in count and time."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

# Health within 1 s under a flood: measured with no other test beside it (tests/conftest.py, `alone`).
pytestmark = pytest.mark.alone

ROOT = Path(__file__).resolve().parents[2]
FD_LIMIT = 1024
RSS_LIMIT_MB = 300
HEALTH_LIMIT_S = 1.0

# The server: the default chain and settings, with the properties given as arguments.
_SERVER = """
import logging, sys
from sidecar_testing import INFO, default_chain
from sidecar import SidecarServer, SidecarSettings, create_app
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
settings = SidecarSettings.from_properties(dict(arg.split("=", 1) for arg in sys.argv[1:]))
server = SidecarServer(create_app(default_chain(), info=INFO, settings=settings), settings, handle_signals=True)
print(server.port, flush=True)
server.run()
"""


@dataclass
class Sidecar:
    process: subprocess.Popen[bytes]
    port: int
    stderr_path: Path
    rss_peak_mb: float = 0.0
    health_worst_s: float = 0.0
    health_failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def health_latency(self) -> float:
        started = time.monotonic()
        try:
            response = httpx.get(f"http://127.0.0.1:{self.port}/actuator/health", timeout=HEALTH_LIMIT_S * 3)
            if response.status_code != 200:
                self.health_failures.append(f"status {response.status_code}")
        except httpx.HTTPError as why:
            self.health_failures.append(f"{type(why).__name__}: {why}")
            return time.monotonic() - started
        return time.monotonic() - started

    def watch(self) -> threading.Thread:
        """Sample RSS every 50 ms and health every 200 ms until `stop_watching`."""

        def run() -> None:
            next_probe = 0.0
            while not self._stop.is_set():
                self.rss_peak_mb = max(self.rss_peak_mb, self.rss_mb())
                if time.monotonic() >= next_probe:
                    self.health_worst_s = max(self.health_worst_s, self.health_latency())
                    next_probe = time.monotonic() + 0.2
                time.sleep(0.05)

        self._stop.clear()
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def stop_watching(self, thread: threading.Thread) -> None:
        self._stop.set()
        thread.join(10)

    def log(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def _limit_fds() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


@pytest.fixture
def sidecar(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Sidecar]:
    properties = getattr(request, "param", ["server.address=127.0.0.1", "server.port=0"])
    stderr_path = tmp_path / "sidecar.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "sidecar")])}
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", _SERVER, *properties],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            preexec_fn=_limit_fds,
        )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip().isdigit(), f"the sidecar did not start: {stderr_path.read_text()}"
        sidecar = Sidecar(process, int(line), stderr_path)
        assert sidecar.health_latency() < 5
        yield sidecar
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if process.stdout is not None:
            process.stdout.close()


def _amplifying_body(size: int = 1024 * 1024 - 64) -> bytes:
    records = (size - len(b'{"records":[]}')) // 3
    return b'{"records":[' + b",".join([b"{}"] * records) + b"]}"


def _post_and_maybe_never_read(port: int, body: bytes, read: bool, hold_s: float) -> int:
    """POST /route/batch on a raw socket; read the whole answer, or hold the connection without reading."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = (
            f"POST /route/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock.sendall(head + body)
        if not read:
            time.sleep(hold_s)
            return 0
        received = 0
        try:
            while chunk := sock.recv(1 << 20):
                received += len(chunk)
                if b"\r\n\r\n" in chunk and received < 4096 and b"content-length" not in chunk.lower():
                    continue
        except TimeoutError:
            pass
        return received


@pytest.mark.parametrize("size", [1024 * 1024 - 64, 5000 * 3 + 12], ids=["over-the-cap", "at-the-cap"])
def test_amplifying_batches_keep_memory_and_health_bounded(sidecar: Sidecar, size: int) -> None:
    body = _amplifying_body(size)
    baseline = sidecar.rss_mb()
    watcher = sidecar.watch()
    threads = [
        threading.Thread(target=_post_and_maybe_never_read, args=(sidecar.port, body, index % 2 == 0, 8.0))
        for index in range(14)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    elapsed = time.monotonic() - started
    sidecar.stop_watching(watcher)
    print(
        f"amplification: baseline {baseline:.0f} MB, peak {sidecar.rss_peak_mb:.0f} MB, "
        f"worst health {sidecar.health_worst_s * 1000:.0f} ms, {elapsed:.1f}s"
    )
    assert sidecar.rss_peak_mb < RSS_LIMIT_MB
    assert sidecar.health_worst_s < HEALTH_LIMIT_S, sidecar.health_failures
    assert not sidecar.health_failures


def test_a_batch_over_the_record_cap_is_refused_naming_the_cap_and_property(sidecar: Sidecar) -> None:
    response = httpx.post(
        f"http://127.0.0.1:{sidecar.port}/route/batch",
        content=_amplifying_body(64 * 1024),
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413
    message = response.json()["message"]
    assert "5000 records" in message and "router.route.batch.max-records" in message


def _open_slow(port: int, count: int, first_bytes: bytes) -> list[socket.socket]:
    opened = []
    for _ in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            break
        try:
            if first_bytes:
                sock.sendall(first_bytes)
        except OSError:
            pass
        opened.append(sock)
    return opened


def _closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(0)
    try:
        return sock.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


@pytest.mark.parametrize(
    "sidecar", [["server.address=127.0.0.1", "server.port=0", "server.connection-timeout=3s"]], indirect=True
)
def test_slow_clients_are_cut_and_cannot_starve_health_or_the_file_descriptors(sidecar: Sidecar) -> None:
    watcher = sidecar.watch()
    partial_line = b"GET /actuator/hea"
    slow_headers = b"GET /actuator/health HTTP/1.1\r\nHost: x\r\n"
    slow_body = (
        b"POST /route/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )
    held = []
    try:
        held += _open_slow(sidecar.port, 350, b"")
        held += _open_slow(sidecar.port, 350, partial_line)
        held += _open_slow(sidecar.port, 200, slow_headers)
        held += _open_slow(sidecar.port, 150, slow_body)
        time.sleep(2)
        during = sidecar.health_latency()
        # Cut after server.connection-timeout (3s) plus margin for a loaded machine.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not all(_closed_by_server(sock) for sock in held[-20:]):
            time.sleep(0.5)
        cut = sum(_closed_by_server(sock) for sock in held)
    finally:
        sidecar.stop_watching(watcher)
        for sock in held:
            sock.close()
    log = sidecar.log()
    print(
        f"slow clients: {len(held)} opened, {cut} closed by the server, health during {during * 1000:.0f} ms, "
        f"worst {sidecar.health_worst_s * 1000:.0f} ms, 'Too many open files' x{log.count('Too many open files')}"
    )
    assert during < HEALTH_LIMIT_S
    assert sidecar.health_worst_s < HEALTH_LIMIT_S, sidecar.health_failures
    assert not sidecar.health_failures
    assert "Too many open files" not in log
    assert "Traceback" not in log, log[-3000:]
    assert cut == len(held)


def test_a_request_head_over_16kb_is_refused_with_431(sidecar: Sidecar) -> None:
    with socket.create_connection(("127.0.0.1", sidecar.port), timeout=10) as sock:
        sock.sendall(b"GET /actuator/health HTTP/1.1\r\nHost: x\r\n" + b"X-Filler: " + b"a" * 20000 + b"\r\n")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert answer.endswith(b"The request line and headers are over 16384 bytes.")


def test_the_body_of_a_request_answered_early_is_not_taken_for_the_next_head(sidecar: Sidecar) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{sidecar.port}", timeout=10) as http:
        too_big = http.post("/route", content=b"1" * (1024 * 1024 + 1), headers={"content-type": "text/plain"})
        assert too_big.status_code == 413
        after = http.post("/route", content=b"\x89PNG", headers={"content-type": "image/png"})
        assert after.status_code == 415
