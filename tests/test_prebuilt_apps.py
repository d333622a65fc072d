"""The demo's choice of Spring apps: SCDF's prebuilt jars when Maven serves them, else the stream-apps jar with
Maven's reason, and a refusal remembered for a day. Maven is a fake runner here: no network, no JVM."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from scripts import stream_apps
from scripts.demo import spring_apps
from scripts.stream_apps import (
    ASK_AGAIN_S,
    ASK_MAVEN,
    FUNCTION,
    PREBUILT_JVM_OPTIONS,
    SpringApps,
    choose_apps,
    prebuilt_command,
)

NOW = 1_800_000_000.0
# What Maven 3.8 prints (colours and all) when Maven Central does not serve the artifact.
REFUSED_OUTPUT = (
    "\x1b[0m\x1b[0m[ERROR] Failed to execute goal org.apache.maven.plugins:maven-dependency-plugin:2.8:copy "
    "(default-cli) on project standalone-pom: Unable to find artifact. Could not find artifact "
    "org.springframework.cloud.stream.app:time-source-kafka:jar:5.0.1 in central (https://repo.maven.apache.org/maven2)\n"
    "[ERROR] Try downloading the file manually from the project website.\n"
)


class FakeMaven:
    """Answers `mvn dependency:copy` as Maven Central would: serving the jar, or refusing it."""

    def __init__(self, serves: bool) -> None:
        self.serves = serves
        self.commands: list[list[str]] = []

    def __call__(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        self.commands.append(command)
        if not self.serves:
            return subprocess.CompletedProcess(command, 1, REFUSED_OUTPUT, "")
        artifact = next(arg for arg in command if arg.startswith("-Dartifact=")).split(":")
        directory = Path(next(arg for arg in command if arg.startswith("-DoutputDirectory=")).split("=", 1)[1])
        directory.mkdir(parents=True, exist_ok=True)
        directory.joinpath(f"{artifact[1]}-{artifact[2]}.jar").write_bytes(b"PK")
        return subprocess.CompletedProcess(command, 0, "", "")


@pytest.fixture(autouse=True)
def prebuilt_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(stream_apps, "PREBUILT_DIR", tmp_path / "prebuilt")
    monkeypatch.setattr(stream_apps, "REFUSED", tmp_path / "prebuilt" / "refused.json")
    monkeypatch.delenv(ASK_MAVEN, raising=False)
    return tmp_path / "prebuilt"


def test_served_prebuilt_jars_run_each_app_in_its_own_jvm(prebuilt_dir: Path) -> None:
    maven = FakeMaven(serves=True)
    apps = choose_apps(run=maven, now=lambda: NOW)

    assert apps.prebuilt == {
        "time": prebuilt_dir / "time-source-kafka-5.0.1.jar",
        "log": prebuilt_dir / "log-sink-kafka-5.0.1.jar",
    }
    assert [command[command.index("dependency:copy") + 1] for command in maven.commands] == [
        "-Dartifact=org.springframework.cloud.stream.app:time-source-kafka:5.0.1:jar",
        "-Dartifact=org.springframework.cloud.stream.app:log-sink-kafka:5.0.1:jar",
    ]
    assert all("-U" in command for command in maven.commands)  # Maven Central asked, not Maven's cached failure
    assert apps.describe().startswith("using SCDF's prebuilt time-source-kafka and log-sink-kafka 5.0.1")

    even, odd, time_source = (prebuilt_command(apps, app) for app in spring_apps("127.0.0.1:9092"))
    assert even[: len(PREBUILT_JVM_OPTIONS) + 3] == ["java", *PREBUILT_JVM_OPTIONS, "-jar", str(apps.prebuilt["log"])]
    assert {"--log.name=evenLogger", "--log.consumer.name=evenLogger", "--server.port=0"} <= set(even)
    assert "--spring.cloud.stream.bindings.input.destination=oddDest" in odd
    assert time_source[len(PREBUILT_JVM_OPTIONS) + 2] == str(apps.prebuilt["time"])
    assert "--spring.cloud.stream.bindings.output.destination=timeDest" in time_source
    assert "--spring.cloud.stream.kafka.binder.brokers=127.0.0.1:9092" in time_source
    assert not any(arg.startswith(f"--{FUNCTION}=") for arg in even + odd + time_source)

    # Once fetched, the jars are used without asking Maven again.
    assert choose_apps(run=maven, now=lambda: NOW + 2 * ASK_AGAIN_S) == apps
    assert len(maven.commands) == 2


def test_refused_prebuilt_jars_fall_back_to_the_stream_apps_jar_with_mavens_reason() -> None:
    maven = FakeMaven(serves=False)
    apps = choose_apps(run=maven, now=lambda: NOW)

    reason = (
        "Maven refused time-source-kafka 5.0.1 (Could not find artifact "
        "org.springframework.cloud.stream.app:time-source-kafka:jar:5.0.1 in central) at 2027-01-15 08:00 UTC"
    )
    assert apps == SpringApps(refusal=reason)
    assert len(maven.commands) == 1  # the first refusal is enough
    line = apps.describe()
    assert line.startswith("using stream-apps/target/stream-apps.jar for time, evenLogger and oddLogger (one JVM): ")
    assert line.endswith(f"{reason}; {ASK_MAVEN}=1 asks again")
    assert "\n" not in line


def test_a_refusal_is_remembered_for_a_day_unless_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    maven = FakeMaven(serves=False)
    first = choose_apps(run=maven, now=lambda: NOW)

    within_the_day = choose_apps(run=maven, now=lambda: NOW + ASK_AGAIN_S - 3600)
    assert len(maven.commands) == 1, "Maven was asked again within the day"
    assert within_the_day.refusal == first.refusal  # when Maven refused, and what it said
    assert not within_the_day.prebuilt

    choose_apps(run=maven, now=lambda: NOW + ASK_AGAIN_S + 1)
    assert len(maven.commands) == 2, "Maven was not asked again after a day"

    stream_apps.REFUSED.write_text("{")  # cut short: unreadable
    choose_apps(run=maven, now=lambda: NOW + ASK_AGAIN_S + 2)
    assert len(maven.commands) == 3, "an unreadable refusal was not asked again"

    monkeypatch.setenv(ASK_MAVEN, "1")
    choose_apps(run=maven, now=lambda: NOW + ASK_AGAIN_S + 3)
    assert len(maven.commands) == 4, f"{ASK_MAVEN}=1 did not ask Maven again"

    # Served the next time it is asked: the prebuilt jars, and the refusal forgotten.
    served = choose_apps(run=FakeMaven(serves=True), now=lambda: NOW + ASK_AGAIN_S + 4)
    assert set(served.prebuilt) == {"time", "log"}
    assert not stream_apps.REFUSED.exists()
