from single_stage import holds, record, stage_problems


def is_tombstone(value: bytes | None) -> bool:
    return holds("RecordIsTombstone", {}, record(value=value))


def test_null_value_is_a_tombstone() -> None:
    assert is_tombstone(None)


def test_empty_value_is_not() -> None:
    assert not is_tombstone(b"")


def test_any_value_is_not() -> None:
    assert not is_tombstone(b"05/17/19 17:56:36")


def test_takes_no_configuration() -> None:
    assert stage_problems("RecordIsTombstone", {"x": "1"}, kind="predicates") == [
        'Unknown configuration "predicates.a.x": it is not a key of RecordIsTombstone. '
        "RecordIsTombstone takes no configuration; remove the key."
    ]
