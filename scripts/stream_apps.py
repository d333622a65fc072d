"""The project's Spring Cloud Stream apps (stream-apps/): build the jar once per source change, and run it.

    python scripts/stream_apps.py build     # `make stream-apps`: mvn package when stream-apps/ changed, else nothing

The jar holds SCDF's time source, log sink and router contracts as functions (`time`, `log`, `router`) plus the
probes of tests/interop; `spring.cloud.function.definition` picks one per app. `jvm_command` starts several apps
in one JVM (one application context each, own properties and binder), which keeps the demo's memory small.
`choose_apps` asks Maven for SCDF's prebuilt time-source-kafka and log-sink-kafka first, and remembers a refusal
for a day (ASK_MAVEN=1 asks again at once), so that a refused answer does not slow every start.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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
PREBUILT_GROUP = "org.springframework.cloud.stream.app"
PREBUILT_DIR = MODULE / "target" / "prebuilt"
REFUSED = PREBUILT_DIR / "refused.json"  # when Maven last refused the prebuilt jars, and what it said
ASK_AGAIN_S = 24 * 3600
ASK_MAVEN = "ASK_MAVEN"  # ASK_MAVEN=1 (environment or `make demo ASK_MAVEN=1`) asks Maven again now
FUNCTION = "spring.cloud.function.definition"  # the property that picks an app: time, log, router, ...
# Start-up and memory over peak speed: the demo's JVM (three apps) measured 182 MiB resident with these.
JVM_OPTIONS = ("-Xmx160m", "-Xss512k", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")
# The prebuilt apps run one JVM each, so each gets a smaller heap to keep the demo within 1 GiB.
PREBUILT_JVM_OPTIONS = ("-Xmx96m", *JVM_OPTIONS[1:])

MavenRunner = Callable[[list[str]], subprocess.CompletedProcess[str]]


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


@dataclass(frozen=True)
class SpringApps:
    """Which jars run the time source and the log sinks: SCDF's prebuilt ones by kind, or none and why not."""

    prebuilt: Mapping[str, Path] = field(default_factory=dict)
    refusal: str = ""

    def describe(self) -> str:
        """One line for the demo: which jars run time, evenLogger and oddLogger, and why."""
        apps = "time, evenLogger and oddLogger"
        if self.prebuilt:
            jars = " and ".join(PREBUILT.values())
            return f"using SCDF's prebuilt {jars} {PREBUILT_VERSION} for {apps}, one JVM each"
        return f"using {JAR.relative_to(ROOT)} for {apps} (one JVM): {self.refusal}; {ASK_MAVEN}=1 asks again"


def _run_maven(command: list[str]) -> subprocess.CompletedProcess[str]:
    mvn = shutil.which(command[0])
    if mvn is None:
        return subprocess.CompletedProcess(command, 127, "", "[ERROR] Maven is not on PATH (apt-get install maven)")
    return subprocess.run([mvn, *command[1:]], capture_output=True, text=True, check=False)


def choose_apps(
    run: MavenRunner = _run_maven, now: Callable[[], float] = time.time, ask: bool | None = None
) -> SpringApps:
    """SCDF's prebuilt jars when Maven serves them, else none with Maven's reason. A refusal is remembered in
    REFUSED and not asked again for ASK_AGAIN_S, unless `ask` (default: ASK_MAVEN=1 in the environment)."""
    ask = os.environ.get(ASK_MAVEN) == "1" if ask is None else ask
    jars = {kind: PREBUILT_DIR / f"{artifact}-{PREBUILT_VERSION}.jar" for kind, artifact in PREBUILT.items()}
    if all(jar.exists() for jar in jars.values()):
        return SpringApps(prebuilt=jars)
    if REFUSED.exists() and not ask:
        try:
            refused = json.loads(REFUSED.read_text())
            if 0 <= now() - float(refused["at"]) < ASK_AGAIN_S:
                return SpringApps(refusal=str(refused["reason"]))
        except (ValueError, KeyError, TypeError):
            pass  # unreadable: ask Maven again, which writes it anew
    for kind, jar in jars.items():
        if jar.exists():
            continue
        coordinates = f"{PREBUILT_GROUP}:{PREBUILT[kind]}:{PREBUILT_VERSION}:jar"
        # -U: ask Maven Central itself, not Maven's own cached failure of an earlier attempt.
        command = ["mvn", "-B", "-q", "-U", "dependency:copy", f"-Dartifact={coordinates}"]
        result = run([*command, f"-DoutputDirectory={PREBUILT_DIR}"])
        if result.returncode != 0 or not jar.exists():
            at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(now()))
            reason = f"Maven refused {PREBUILT[kind]} {PREBUILT_VERSION} ({_maven_reason(result)}) at {at}"
            PREBUILT_DIR.mkdir(parents=True, exist_ok=True)
            REFUSED.write_text(json.dumps({"at": now(), "reason": reason}))
            return SpringApps(refusal=reason)
    REFUSED.unlink(missing_ok=True)
    return SpringApps(prebuilt=jars)


def _maven_reason(result: subprocess.CompletedProcess[str]) -> str:
    """Maven's first error, without its colours, the goal's preamble and URLs, in at most 160 characters."""
    output = result.stdout + result.stderr
    errors = [line for line in re.sub(r"\x1b\[[0-9;]*m", "", output).splitlines() if line.startswith("[ERROR]")]
    first = errors[0].removeprefix("[ERROR]").strip() if errors else (output.strip() or "no output")
    first = re.sub(r"^Failed to execute goal .*? on project [^:]+: (Unable to find artifact\. )?", "", first)
    first = re.sub(r" \(https?://[^)]*\)", "", first)
    return first if len(first) <= 160 else first[:157] + "..."


def prebuilt_command(apps: SpringApps, app: Mapping[str, str]) -> list[str]:
    """`java -jar` of the prebuilt app for `app`'s function (time or log), in its own JVM: `app`'s properties, no
    web port, and log.name also under the 5.x log sink's name for it, log.consumer.name."""
    kind = app[FUNCTION]
    properties = {key: value for key, value in app.items() if key != FUNCTION} | {"server.port": "0"}
    if "log.name" in app:
        properties["log.consumer.name"] = app["log.name"]
    arguments = [f"--{key}={value}" for key, value in properties.items()]
    return ["java", *PREBUILT_JVM_OPTIONS, "-jar", str(apps.prebuilt[kind]), *arguments]


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
