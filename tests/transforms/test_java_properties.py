"""parse_properties against java.util.Properties.load's rules."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms import ConfigError, parse_properties


def parsed(text: str) -> dict[str, str]:
    return parse_properties(text)


def test_separators() -> None:
    assert parsed("a=1\nb:2\nc 3\nd = 4\ne\t:\t5\nf  =  = 6") == {
        "a": "1",
        "b": "2",
        "c": "3",
        "d": "4",
        "e": "5",
        "f": "= 6",
    }


def test_key_alone() -> None:
    assert parsed("flag\nempty=") == {"flag": "", "empty": ""}


def test_comments_and_blank_lines() -> None:
    assert parsed("# a comment\n! another\n\n   \n  # indented comment\na=1") == {"a": "1"}


def test_hash_inside_a_value_is_kept() -> None:
    assert parsed("a=1 # not a comment") == {"a": "1 # not a comment"}


def test_leading_whitespace_dropped_trailing_kept() -> None:
    assert parsed("   a =   1  ") == {"a": "1  "}


def test_continuation() -> None:
    assert parsed("transforms=a,\\\n    b,\\\n\tc") == {"transforms": "a,b,c"}


def test_even_backslashes_do_not_continue() -> None:
    assert parsed("a=x\\\\\nb=y") == {"a": "x\\", "b": "y"}


def test_comment_does_not_continue() -> None:
    assert parsed("# comment \\\na=1") == {"a": "1"}


def test_continued_line_may_look_like_a_comment() -> None:
    assert parsed("a=1\\\n# 2") == {"a": "1# 2"}


def test_continuation_at_end_of_input() -> None:
    assert parsed("a=1\\") == {"a": "1"}


def test_escapes() -> None:
    assert parsed("a=tab\\there\\nnl \\u0041\\\\ \\q") == {"a": "tab\there\nnl A\\ q"}


def test_escaped_separators_in_key() -> None:
    assert parsed("key\\ with\\=odd\\:chars = v") == {"key with=odd:chars": "v"}


def test_surrogate_pair() -> None:
    assert parsed("a=\\uD83D\\uDE00") == {"a": "\U0001f600"}


def test_line_endings() -> None:
    assert parsed("a=1\r\nb=2\rc=3\n") == {"a": "1", "b": "2", "c": "3"}


def test_last_repeated_key_wins() -> None:
    assert parsed("a=1\na=2") == {"a": "2"}


def test_placeholders_kept_verbatim() -> None:
    assert parsed("t=${binding:even}\nf=${topic}-${timestamp}") == {
        "t": "${binding:even}",
        "f": "${topic}-${timestamp}",
    }


def test_malformed_unicode_escape_names_the_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_properties("ok=1\nbad=\\u12G4\nworse=\\uD800", source="router.properties")
    assert caught.value.problems == (
        "router.properties line 2: Malformed \\uxxxx encoding (\\u12G4) in 'bad=\\\\u12G4'",
        "router.properties line 3: unpaired UTF-16 surrogate in a \\uxxxx escape in 'worse=\\\\uD800'",
    )


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_parses_or_is_a_config_error(text: str) -> None:
    try:
        result = parse_properties(text)
    except ConfigError as exc:
        assert exc.problems
    else:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in result.items())


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))), st.text()))
def test_escaped_pairs_round_trip(pairs: dict[str, str]) -> None:
    def escape(text: str, key: bool) -> str:
        out = []
        for i, char in enumerate(text):
            if char in "\\#!=: \t\f\r\n" and (key or char in "\\\r\n" or (i == 0 and char in " \t\f")):
                out.append({"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}.get(char, "\\" + char))
            else:
                out.append(char)
        return "".join(out)

    text = "\n".join(f"{escape(k, True)}={escape(v, False)}" for k, v in pairs.items())
    assert parse_properties(text) == pairs
