from single_stage import record, stage_problems, transform


def test_drops_every_record() -> None:
    assert transform("Filter", {}, record()) is None


def test_drops_tombstones_too() -> None:
    assert transform("Filter", {}, record(value=None)) is None


def test_takes_no_configuration() -> None:
    assert stage_problems("Filter", {"foo": "bar"}) == [
        'Unknown configuration "transforms.a.foo": it is not a key of Filter. '
        "Filter takes no configuration; remove the key."
    ]
