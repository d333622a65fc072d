"""connect-config/router.properties reproduces the recipe's routing and texts, minus its crashes."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from transforms import Chain, Record, TransformError, build_chain, parse_properties

ROUTER = Path(__file__).resolve().parents[2] / "connect-config" / "router.properties"
BINDINGS = {"input": "timeDest", "even": "evenDest", "odd": "oddDest"}


def recipe(value: bytes) -> tuple[str, bytes]:
    """The recipe's rule, with its odd text's missing space restored (the one difference, on purpose)."""
    if int(value[-1:]) % 2 == 0:
        return "evenDest", b"Even timestamp: " + value
    return "oddDest", b"Odd timestamp: " + value


def router(bindings: dict[str, str] = BINDINGS) -> Chain:
    return build_chain(parse_properties(ROUTER.read_text(encoding="utf-8")), bindings=bindings, env={})


def routed(value: bytes | None, chain: Chain | None = None) -> tuple[str, bytes | None] | None:
    result = (chain or router()).apply(Record(topic="timeDest", value=value))
    return None if result is None else (result.topic, result.value)


def test_every_second_of_a_day_as_the_recipe() -> None:
    chain = router()
    start = datetime(2019, 5, 17, tzinfo=UTC)
    for second in range(86_400):
        value = (start + timedelta(seconds=second)).strftime("%m/%d/%y %H:%M:%S").encode()
        assert routed(value, chain) == recipe(value)


def test_texts() -> None:
    assert routed(b"05/17/19 17:56:36") == ("evenDest", b"Even timestamp: 05/17/19 17:56:36")
    assert routed(b"05/17/19 17:56:37") == ("oddDest", b"Odd timestamp: 05/17/19 17:56:37")


def test_topics_follow_the_bindings() -> None:
    chain = router({"input": "in", "even": "pair", "odd": "impair"})
    assert routed(b"05/17/19 17:56:37", chain) == ("impair", b"Odd timestamp: 05/17/19 17:56:37")


def test_what_crashed_the_recipe_routes_or_fails_cleanly() -> None:
    assert routed(b'"05/17/19 17:56:37"') == ("oddDest", b'Odd timestamp: "05/17/19 17:56:37"')
    assert routed(b"2019-05-17T17:56:36Z") == ("evenDest", b"Even timestamp: 2019-05-17T17:56:36Z")
    for bad in (b"", b"abc"):
        with pytest.raises(TransformError) as caught:
            routed(bad)
        assert caught.value.failure.alias == "parity"


def test_tombstone_skipped_as_the_recipe_skips_it() -> None:
    assert routed(None) is None


def test_errors_go_to_a_dead_letter_topic() -> None:
    policy = router().errors
    assert (policy.tolerance, policy.dead_letter_topic, policy.context_headers) == ("all", "timeDest.dlq", True)
    assert (policy.dead_letter_replication_factor, policy.log_enable, policy.log_include_messages) == (-1, True, False)


def test_stages() -> None:
    assert router().describe() == [
        {"alias": "parity", "type": "TimestampParityRouter", "predicate": None, "negate": False},
        {"alias": "labelEven", "type": "ValueTemplate", "predicate": "toEven", "negate": False},
        {"alias": "labelOdd", "type": "ValueTemplate", "predicate": "toOdd", "negate": False},
    ]
