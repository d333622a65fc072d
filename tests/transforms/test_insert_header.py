from single_stage import record, stage_problems, transform


def headers(config: dict[str, str], existing: tuple[tuple[str, bytes], ...] = ()) -> tuple[tuple[str, bytes], ...]:
    result = transform("InsertHeader", config, record(headers=existing))
    assert result is not None
    return result.headers


def test_adds_the_header() -> None:
    assert headers({"header": "source", "value.literal": "python-router"}) == (("source", b"python-router"),)


def test_adds_even_when_the_name_exists() -> None:
    assert headers({"header": "h", "value.literal": "2"}, (("h", b"1"),)) == (("h", b"1"), ("h", b"2"))


def test_literal_is_utf8() -> None:
    assert headers({"header": "h", "value.literal": "é"}) == (("h", "é".encode()),)


def test_input_record_is_untouched() -> None:
    original = record(headers=(("a", b"1"),))
    transform("InsertHeader", {"header": "h", "value.literal": "x"}, original)
    assert original.headers == (("a", b"1"),)


def test_empty_header_name_wording() -> None:
    assert stage_problems("InsertHeader", {"header": "", "value.literal": "x"}) == [
        "Invalid value  for configuration transforms.a.header: String must be non-empty"
    ]


def test_missing_keys_wording() -> None:
    assert stage_problems("InsertHeader") == [
        'Missing required configuration "transforms.a.header" which has no default value.',
        'Missing required configuration "transforms.a.value.literal" which has no default value.',
    ]
