"""The project's Spring Cloud Stream apps (stream-apps/): build the jar once per source change, and run it.

    python scripts/stream_apps.py build     # `make stream-apps`: mvn package when stream-apps/ changed, else nothing

The jar holds SCDF's time source, log sink and router contracts as functions (`time`, `log`, `router`) plus the
probes of tests/interop; `spring.cloud.function.definition` picks one per app. `jvm_command` starts several apps
in one JVM (one application context each, own properties and binder), which keeps the demo's memory small.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.local_kafka import BrokerError, java_major  # noqa: E402

MODULE = ROOT / "stream-apps"
JAR = MODULE / "target" / "stream-apps.jar"
STAMP = MODULE / "target" / ".built-from"
NEXT_APP = "+"  # StreamApps.java splits its arguments into apps on this word
# SCDF's prebuilt apps whose user contract the functions follow, as the deployment docs register them.
PREBUILT_VERSION = "5.0.1"  # Spring Boot 3, Java 17
PREBUILT = {"time": "time-source-kafka", "log": "log-sink-kafka"}
FUNCTION = "spring.cloud.function.definition"  # the property that picks an app: time, log, router, ...
# Start-up and memory over peak speed: the demo's JVM (three apps) measured 182 MiB resident with these.
JVM_OPTIONS = ("-Xmx160m", "-Xss512k", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")


class StreamAppsError(RuntimeError):
    """The Spring apps could not be built; the message says why and what to do."""


def sources_digest() -> str:
    """A digest of everything the jar is built from: the pom and every file under src/."""
    digest = hashlib.sha256(MODULE.joinpath("pom.xml").read_bytes())
    for path in sorted(MODULE.joinpath("src").rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(MODULE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def is_built() -> bool:
    """Whether the jar exists and was built from the current sources."""
    return JAR.exists() and STAMP.exists() and STAMP.read_text() == sources_digest()


def build() -> Path:
    """The jar, built with Maven (~/.m2 as cache) unless it is already built from the current sources."""
    try:
        major = java_major("to build and run the Spring apps in stream-apps/")
    except BrokerError as exc:
        raise StreamAppsError(str(exc)) from None
    if major < 17:
        raise StreamAppsError(
            f"Java {major} was found but the Spring apps (Spring Boot 4) need Java 17 or newer: "
            "install it (Debian: apt-get install openjdk-17-jdk-headless) and put it first on PATH."
        )
    if is_built():
        return JAR
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StreamAppsError(
            "Maven is needed to build the Spring apps in stream-apps/ and was not found on PATH: "
            "install it (Debian: apt-get install maven openjdk-17-jdk-headless)."
        )
    command = [mvn, "-B", "-q", "-f", str(MODULE / "pom.xml"), "package", "-DskipTests"]
    # Offline first: once ~/.m2 holds the dependencies, Maven need not ask Maven Central anything.
    result = subprocess.run([*command, "--offline"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not JAR.exists():
        output = result.stdout + result.stderr
        errors = [line.strip() for line in output.splitlines() if "ERROR" in line]
        reason = errors[0] if errors else output.strip()[-300:]
        raise StreamAppsError(
            f"Maven could not build the Spring apps in {MODULE} ({reason}): check that Maven Central is reachable "
            "(and any mirror in ~/.m2/settings.xml), then run `make stream-apps`."
        )
    STAMP.write_text(sources_digest())
    return JAR


def jvm_command(apps: Sequence[Mapping[str, str]], options: Sequence[str] = JVM_OPTIONS) -> list[str]:
    """`java -jar stream-apps.jar` running each of `apps`: its properties, spring.cloud.function.definition included."""
    arguments: list[str] = []
    for app in apps:
        if arguments:
            arguments.append(NEXT_APP)
        arguments += [f"--{key}={value}" for key, value in app.items()]
    return ["java", *options, "-jar", str(JAR), *arguments]


def main(argv: list[str]) -> int:
    if argv[1:] != ["build"]:
        print("usage: stream_apps.py build", file=sys.stderr)
        return 2
    try:
        state = "is up to date" if is_built() else "built"
        print(f"stream-apps: {build().relative_to(ROOT)} {state}")
    except StreamAppsError as exc:
        print(f"stream-apps: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
