"""Fixtures of the security tests: TLS material the broker's own CA did not make."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(f"openssl {' '.join(args[:2])} failed making test certificates: {result.stderr}")


@pytest.fixture(scope="session")
def another_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The PEM certificate of a CA that did not sign the broker's certificate."""
    where = tmp_path_factory.mktemp("another-ca")
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-subj", "/CN=a CA the broker never heard of", "-days", "2", cwd=where,
    )  # fmt: skip
    return where / "ca.pem"
