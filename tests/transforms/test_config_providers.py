from pathlib import Path

import pytest

from transforms import ConfigError
from transforms.providers import ConfigProviders

PROVIDERS = ConfigProviders(bindings={"input": "timeDest", "even": "evenDest"}, env={"HOME_TOPIC": "home"})


def resolved(value: str, providers: ConfigProviders = PROVIDERS) -> str:
    return providers.resolve("k", value)


def problems(value: str, providers: ConfigProviders = PROVIDERS) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as caught:
        providers.resolve("k", value)
    return caught.value.problems


def test_binding() -> None:
    assert resolved("${binding:even}") == "evenDest"


def test_env() -> None:
    assert resolved("${env:HOME_TOPIC}") == "home"


def test_several_references_and_text() -> None:
    assert resolved("${binding:input}.dlq-${env:HOME_TOPIC}") == "timeDest.dlq-home"


def test_no_reference() -> None:
    assert resolved("Even timestamp: {value}") == "Even timestamp: {value}"


def test_placeholder_without_a_colon_is_not_a_reference() -> None:
    assert resolved("${topic}-${timestamp}") == "${topic}-${timestamp}"


def test_file(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.properties"
    secrets.write_text("# topics\ndlq.topic = router.dlq\n")
    assert resolved(f"${{file:{secrets}:dlq.topic}}") == "router.dlq"


def test_missing_binding_wording() -> None:
    assert problems("${binding:odd}") == (
        "Invalid value ${binding:odd} for configuration k: ${binding:odd}: no binding named 'odd' "
        "(known bindings: even, input); set spring.cloud.stream.bindings.odd.destination",
    )


def test_missing_env_wording() -> None:
    assert problems("${env:NOPE}") == (
        "Invalid value ${env:NOPE} for configuration k: ${env:NOPE}: environment variable NOPE is not set; "
        "set it or change this value",
    )


def test_every_bad_reference_in_a_value() -> None:
    assert len(problems("${env:A}${env:B}")) == 2


def test_unknown_provider_wording() -> None:
    assert problems("${vault:secret}") == (
        "Invalid value ${vault:secret} for configuration k: ${vault:secret}: unknown config provider 'vault'; "
        "known providers: binding, env, file",
    )


def test_env_with_a_path() -> None:
    assert problems("${env:a:b}")[0].endswith("the env provider takes no path; write ${env:NAME}")


def test_file_without_path() -> None:
    assert problems("${file:key}")[0].endswith(
        "the file provider needs a path and a key; write ${file:/path/to/file:key}"
    )


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.properties"
    assert problems(f"${{file:{missing}:k}}")[0].endswith(
        f"cannot read the properties file {missing}: No such file or directory"
    )


def test_missing_key_in_file(tmp_path: Path) -> None:
    path = tmp_path / "a.properties"
    path.write_text("x=1")
    assert problems(f"${{file:{path}:y}}")[0].endswith(f"the properties file {path} has no key 'y'")


def test_malformed_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.properties"
    path.write_text("x=\\uZZZZ")
    assert (
        f"the properties file {path} is malformed: {path} line 1: Malformed \\uxxxx encoding"
        in problems(f"${{file:{path}:x}}")[0]
    )


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "bin.properties"
    path.write_bytes(b"x=\xff")
    assert problems(f"${{file:{path}:x}}")[0].endswith(
        f"the properties file {path} is not UTF-8 text (invalid start byte at byte 2)"
    )


def test_build_chain_reads_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from transforms import Record, build_chain

    monkeypatch.setenv("ROUTER_TEST_TOPIC", "fromEnv")
    props = {"transforms": "r", "transforms.r.type": "RegexRouter", "transforms.r.regex": ".*",
             "transforms.r.replacement": "${env:ROUTER_TEST_TOPIC}"}  # fmt: skip
    result = build_chain(props).apply(Record(topic="t", value=b""))
    assert result is not None and result.topic == "fromEnv"
