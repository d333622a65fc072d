"""Java regex syntax that Python's `re` reads differently, translated or refused (never a FutureWarning).
The expected matches were taken from java.util.regex.Pattern itself (Java 17)."""

import re

import pytest

from transforms.java_regex import compile_java_regex, regex_reason

CANDIDATES = ":alphbz[]ef-é1 "


def matched(pattern: str) -> str:
    compiled = compile_java_regex(pattern)
    return "".join(c for c in CANDIDATES if compiled.fullmatch(c))


@pytest.mark.parametrize(
    ("pattern", "java_matches"),
    [
        ("[[:alpha:]]", ":alph"),  # Java: a nested class (a union), not POSIX's [:alpha:]
        ("[a-d[m-p]]", "apb"),
        ("[x[a-c]y]", "ab"),
        ("[+--]", "-"),
        ("[a||b]", "ab"),
        ("[a~~b]", "ab"),
        (r"\p{Alpha}", "alphbzef"),  # POSIX classes are US-ASCII only in Java
        (r"\P{Alpha}", ":[]-é1 "),
        (r"[\p{Digit}\p{Space}]", "1 "),
        (r"\p{Punct}", ":[]-"),
    ],
)
def test_java_class_syntax_means_what_it_means_in_java(pattern: str, java_matches: str) -> None:
    assert matched(pattern) == java_matches


def test_a_whole_topic_of_posix_lookalike_builds_without_a_warning() -> None:
    assert compile_java_regex("[[:alpha:]]+").fullmatch("alpha:")


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (
            "[a-z&&[def]]",
            "Invalid regex: Java's class intersection && (in [a-z&&[def]]) has no equivalent in Python's re: "
            "write the characters it leaves as one class (Java's [a-z&&[^bc]] is [ad-z])",
        ),
        (
            "[a[^b]]",
            "Invalid regex: a negated class inside a class ([^...] in [a[^b]]) has no equivalent in Python's re: "
            "write the characters out",
        ),
        (
            r"[\P{Alpha}x]",
            r"Invalid regex: \P{Alpha} inside a class has no equivalent in Python's re: write the characters out",
        ),
        (
            r"\p{IsAlphabetic}",
            r"Invalid regex: \p{IsAlphabetic} is not supported: only Java's POSIX classes (\p{Alpha}, \p{Digit}, "
            r"\p{Alnum}, \p{Punct}, \p{Space}...) are translated",
        ),
    ],
)
def test_what_python_cannot_express_is_refused_saying_why(pattern: str, reason: str) -> None:
    assert regex_reason(pattern) == reason
    with pytest.raises(re.error):
        compile_java_regex(pattern)
