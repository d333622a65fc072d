from single_stage import record, stage_problems, transform

from transforms import Record


def rendered(template: str, rec: Record | None = None) -> bytes | None:
    result = transform("ValueTemplate", {"template": template}, rec or record(b"05/17/19 17:56:36"))
    assert result is not None
    return result.value


def test_recipe_even_text() -> None:
    assert rendered("Even timestamp: {value}") == b"Even timestamp: 05/17/19 17:56:36"


def test_recipe_odd_text_with_a_space() -> None:
    assert rendered("Odd timestamp: {value}") == b"Odd timestamp: 05/17/19 17:56:36"


def test_value_in_the_middle() -> None:
    assert rendered("<{value}>") == b"<05/17/19 17:56:36>"


def test_value_twice() -> None:
    assert rendered("{value}{value}", record(b"ab")) == b"abab"


def test_other_placeholders() -> None:
    rec = Record(topic="evenDest", value=b"v", key=b"k", partition=1, offset=2, timestamp=3)
    assert rendered("{topic}/{key}/{partition}/{offset}/{timestamp}:{value}", rec) == b"evenDest/k/1/2/3:v"


def test_unknown_fields_are_empty() -> None:
    assert rendered("[{key}|{partition}|{offset}|{timestamp}]", record(b"v")) == b"[|||]"


def test_value_bytes_are_copied_undecoded() -> None:
    assert rendered("x: {value}", record(b"\xff\xfe")) == b"x: \xff\xfe"


def test_template_text_is_utf8() -> None:
    assert rendered("été {value}", record(b"v")) == "été v".encode()


def test_literal_braces() -> None:
    assert rendered("{{{value}}}", record(b"v")) == b"{v}"


def test_template_without_placeholder() -> None:
    assert rendered("constant", record(b"v")) == b"constant"


def test_tombstone_stays_a_tombstone() -> None:
    assert rendered("Even timestamp: {value}", record(None)) is None


def test_other_fields_untouched() -> None:
    rec = Record(topic="t", value=b"v", key=b"k", headers=(("h", b"1"),), partition=1, offset=2, timestamp=3)
    assert transform("ValueTemplate", {"template": "{value}!"}, rec) == rec.with_(value=b"v!")


def test_unknown_placeholder_wording() -> None:
    assert stage_problems("ValueTemplate", {"template": "{valeu}"}) == [
        "Invalid value {valeu} for configuration transforms.a.template: Invalid template: unknown placeholder "
        "{valeu}; known: {value}, {key}, {topic}, {partition}, {offset}, {timestamp}"
    ]


def test_unmatched_brace_wording() -> None:
    assert stage_problems("ValueTemplate", {"template": "a } b"}) == [
        "Invalid value a } b for configuration transforms.a.template: Invalid template: unmatched '}' at "
        "position 2; write }} for a literal brace"
    ]


def test_missing_template_wording() -> None:
    assert stage_problems("ValueTemplate") == [
        'Missing required configuration "transforms.a.template" which has no default value.'
    ]
