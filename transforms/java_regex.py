"""Java regular expressions and `Matcher` replacement strings (`$1`, `${name}`) for Python's `re`, so
patterns copied from Connect configurations mean the same here."""

from __future__ import annotations

import re
from typing import Final

from transforms.config import Check, ConfigValue


def compile_java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java regex; raises re.error (with the reason) when it cannot be expressed.

    Translated: named groups `(?<name>...)`, quoting `\\Q...\\E`, end of input `\\z`, Java's POSIX classes
    `\\p{Alpha}` (US-ASCII, as in Java), and inside a class: a nested class is a union (Java's `[[:alpha:]]` is
    one of `:alph`, not POSIX's letters), and `--`, `||`, `~~` are literals. Refused: class intersection `&&`
    and negations inside a class. Everything else is given to `re` as is; the common syntax is the same.
    """
    return re.compile(_translate(pattern))


# Java's POSIX character classes (US-ASCII only, as java.util.regex.Pattern defines them), as class contents.
_POSIX: Final = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": "\\x20-\\x7E",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1F\\x7F",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0B\\f\\r",
}
_PROPERTY: Final = re.compile(r"\\([pP])(?:\{([^}]*)\}|(.))")
# Inside a class Python warns on these pairs (it reserves them for set operations); in Java they are literals.
_PAIRS_TO_ESCAPE: Final = frozenset("|~")


def _translate(pattern: str) -> str:
    out: list[str] = []
    index = 0
    length = len(pattern)
    depth = 0  # nesting of character classes: Java's [a[b]] is a union
    class_start = 0
    while index < length:
        char = pattern[index]
        if char == "\\" and index + 1 < length:
            escaped = pattern[index + 1]
            if escaped == "Q":
                end = pattern.find("\\E", index + 2)
                literal = pattern[index + 2 :] if end < 0 else pattern[index + 2 : end]
                out.append(re.escape(literal))
                index = length if end < 0 else end + 2
                continue
            if escaped in "pP":
                found = _PROPERTY.match(pattern, index)
                name = (found.group(2) or found.group(3)) if found else escaped
                out.append(_posix_class(name, negated=escaped == "P", in_class=depth > 0))
                index = found.end() if found else index + 2
                continue
            out.append("\\Z" if escaped == "z" and not depth else char + escaped)
            index += 2
            continue
        if depth:
            if char == "]":
                depth -= 1
                if not depth:
                    out.append(char)
            elif char == "[":
                if pattern.startswith("[^", index):
                    raise re.error(
                        f"a negated class inside a class ([^...] in {_class_text(pattern, class_start)}) has no "
                        "equivalent in Python's re: write the characters out"
                    )
                depth += 1
            elif pattern.startswith("&&", index):
                raise re.error(
                    f"Java's class intersection && (in {_class_text(pattern, class_start)}) has no equivalent in "
                    "Python's re: write the characters it leaves as one class (Java's [a-z&&[^bc]] is [ad-z])"
                )
            elif char in _PAIRS_TO_ESCAPE or (char == "-" and pattern[index - 1] == "-"):
                out.append("\\" + char)
            else:
                out.append(char)
            index += 1
            continue
        if char == "[":
            depth, class_start = 1, index
            # A ']' right after '[' or '[^' is a literal in both dialects; copy it so it doesn't close.
            following = pattern[index + 1 : index + 3]
            if following.startswith("^]"):
                out.append("[^]")
                index += 3
                continue
            if following.startswith("]"):
                out.append("[]")
                index += 2
                continue
            if following.startswith("^"):
                out.append("[^")
                index += 2
                continue
        elif pattern.startswith("(?<", index) and pattern[index + 3 : index + 4] not in ("=", "!"):
            out.append("(?P<")
            index += 3
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _posix_class(name: str, *, negated: bool, in_class: bool) -> str:
    contents = _POSIX.get(name)
    if contents is None:
        raise re.error(
            f"\\p{{{name}}} is not supported: only Java's POSIX classes (\\p{{Alpha}}, \\p{{Digit}}, \\p{{Alnum}}, "
            "\\p{Punct}, \\p{Space}...) are translated"
        )
    if in_class:
        if negated:
            raise re.error(f"\\P{{{name}}} inside a class has no equivalent in Python's re: write the characters out")
        return contents
    return f"[^{contents}]" if negated else f"[{contents}]"


def _class_text(pattern: str, start: int) -> str:
    """The class opened at `start`, nested classes included, for a message."""
    depth = 0
    index = start
    while index < len(pattern):
        if pattern[index] == "\\":
            index += 2
            continue
        if pattern[index] == "[":
            depth += 1
        elif pattern[index] == "]":
            depth -= 1
            if not depth:
                return pattern[start : index + 1]
        index += 1
    return pattern[start:]


def regex_reason(value: ConfigValue) -> str | None:
    """Connect's RegexValidator wording for a value that is not a valid regex."""
    if not isinstance(value, str):
        return None
    try:
        compile_java_regex(value)
    except re.error as exc:
        return f"Invalid regex: {exc}"
    return None


VALID_REGEX = Check(regex_reason, "valid regex")


def java_replacement(replacement: str, pattern: re.Pattern[str]) -> str:
    """Translate a Java `Matcher.replaceFirst` replacement into a template for `Match.expand`.

    `$n` is group n (digits are taken while the number stays a group, as Java does), `${name}` a named
    group, `\\x` the literal x. Raises ValueError with Java's reason when a reference is not a group.
    """
    out: list[str] = []
    index = 0
    length = len(replacement)
    while index < length:
        char = replacement[index]
        if char == "\\":
            index += 1
            if index == length:
                raise ValueError("character to be escaped is missing (a trailing backslash)")
            out.append(_literal(replacement[index]))
            index += 1
        elif char == "$":
            index += 1
            if index == length:
                raise ValueError("Illegal group reference: group index is missing (a trailing '$')")
            if replacement[index] == "{":
                end = replacement.find("}", index)
                if end < 0:
                    raise ValueError("named capturing group is missing trailing '}'")
                name = replacement[index + 1 : end]
                if name not in pattern.groupindex:
                    raise ValueError(f"No group with name {{{name}}}")
                out.append(f"\\g<{name}>")
                index = end + 1
            elif replacement[index].isdigit() and replacement[index].isascii():
                group = int(replacement[index])
                if group > pattern.groups:
                    raise ValueError(f"No group {group}: the regex has {pattern.groups} group(s)")
                index += 1
                while index < length and replacement[index].isascii() and replacement[index].isdigit():
                    longer = group * 10 + int(replacement[index])
                    if longer > pattern.groups:
                        break
                    group = longer
                    index += 1
                out.append(f"\\g<{group}>")
            else:
                raise ValueError(
                    f"Illegal group reference ${replacement[index]}: write $1 or ${{name}}, or \\$ for a dollar"
                )
        else:
            out.append(_literal(char))
            index += 1
    return "".join(out)


def _literal(char: str) -> str:
    return "\\\\" if char == "\\" else char
