"""Java regular expressions and `Matcher` replacement strings (`$1`, `${name}`) for Python's `re`, so
patterns copied from Connect configurations mean the same here."""

from __future__ import annotations

import re

from transforms.config import Check, ConfigValue


def compile_java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java regex; raises re.error (with Python's reason) when it cannot be expressed.

    Translated: named groups `(?<name>...)`, quoting `\\Q...\\E`, end of input `\\z`. Everything else is
    given to `re` as is; the common syntax of the two is the same.
    """
    return re.compile(_translate(pattern))


def _translate(pattern: str) -> str:
    out: list[str] = []
    index = 0
    length = len(pattern)
    in_class = False
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
            out.append("\\Z" if escaped == "z" and not in_class else char + escaped)
            index += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
        elif char == "[":
            in_class = True
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
        elif pattern.startswith("(?<", index) and pattern[index + 3 : index + 4] not in ("=", "!"):
            out.append("(?P<")
            index += 3
            continue
        out.append(char)
        index += 1
    return "".join(out)


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
