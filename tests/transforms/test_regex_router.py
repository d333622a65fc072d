from single_stage import record, stage_problems, transform


def routed(regex: str, replacement: str, topic: str) -> str:
    result = transform("RegexRouter", {"regex": regex, "replacement": replacement}, record(topic=topic))
    assert result is not None
    return result.topic


# The cases of Connect's RegexRouterTest.
def test_static_replacement() -> None:
    assert routed("foo", "bar", "foo") == "bar"


def test_doesnt_match() -> None:
    assert routed("foo", "bar", "orig") == "orig"


def test_identity() -> None:
    assert routed("(.*)", "$1", "orig") == "orig"


def test_add_prefix() -> None:
    assert routed("(.*)", "prefix-$1", "orig") == "prefix-orig"


def test_add_suffix() -> None:
    assert routed("(.*)", "$1-suffix", "orig") == "orig-suffix"


def test_slice() -> None:
    assert routed("(.*)-(\\d\\d\\d\\d\\d\\d\\d\\d)", "$1", "index-20160117") == "index"


# Beyond Connect's cases: the whole topic must match, Java's replacement syntax, named groups.
def test_partial_match_is_no_match() -> None:
    assert routed("time", "clock", "timeDest") == "timeDest"


def test_named_group() -> None:
    assert routed("(?<name>.*)Dest", "${name}-out", "timeDest") == "time-out"


def test_escaped_dollar() -> None:
    assert routed("(.*)", "\\$$1", "t") == "$t"


def test_group_digits_taken_while_a_group() -> None:
    assert routed("(a)", "$10", "a") == "a0"


def test_quoted_literal() -> None:
    assert routed("\\Qa.b\\E", "c", "a.b") == "c"
    assert routed("\\Qa.b\\E", "c", "axb") == "axb"


def test_value_key_headers_untouched() -> None:
    rec = record(value=b"\xff", key=b"k", headers=(("h", b"1"),), partition=3, offset=7, timestamp=9)
    out = transform("RegexRouter", {"regex": ".*", "replacement": "x"}, rec)
    assert out == rec.with_(topic="x")


def test_missing_keys_wording() -> None:
    assert stage_problems("RegexRouter") == [
        'Missing required configuration "transforms.a.regex" which has no default value.',
        'Missing required configuration "transforms.a.replacement" which has no default value.',
    ]


def test_invalid_regex_wording() -> None:
    assert stage_problems("RegexRouter", {"regex": "(", "replacement": "x"}) == [
        "Invalid value ( for configuration transforms.a.regex: "
        "Invalid regex: missing ), unterminated subpattern at position 0"
    ]


def test_replacement_naming_a_missing_group() -> None:
    assert stage_problems("RegexRouter", {"regex": "(.*)", "replacement": "$2"}) == [
        "Invalid value $2 for configuration transforms.a.replacement: "
        "Invalid replacement: No group 2: the regex has 1 group(s)"
    ]


def test_replacement_with_a_bare_dollar() -> None:
    assert stage_problems("RegexRouter", {"regex": "(.*)", "replacement": "a$"}) == [
        "Invalid value a$ for configuration transforms.a.replacement: "
        "Invalid replacement: Illegal group reference: group index is missing (a trailing '$')"
    ]
