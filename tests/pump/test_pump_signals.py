"""SIGTERM / SIGINT: the first asks the pump to stop, a second exits at once, a hung shutdown is bounded."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pump import signals

    class Pump:
        stop_requested = False
        def request_stop(self):
            self.stop_requested = True
            print("stop requested", flush=True)

    pump = Pump()
    signals.install(pump, shutdown_timeout_s=float(sys.argv[1]), grace_s=0.5)
    print("ready", flush=True)
    while True:  # a shutdown that never finishes
        time.sleep(0.05)
    """
)


def start(shutdown_timeout_s: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(shutdown_timeout_s)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    return process


def test_the_first_signal_requests_a_stop_and_a_second_exits_at_once() -> None:
    process = start(shutdown_timeout_s=60)
    assert process.stdout is not None
    process.send_signal(signal.SIGTERM)
    assert process.stdout.readline() == "stop requested\n"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 130
    assert "Second SIGINT: exiting at once." in stderr


def test_a_shutdown_that_hangs_is_ended_by_the_watchdog() -> None:
    process = start(shutdown_timeout_s=0.5)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 1
    assert 0.9 < time.monotonic() - started < 5
    assert "Shutdown did not finish within 1s: exiting now." in stderr
