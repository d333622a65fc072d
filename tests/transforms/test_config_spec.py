"""Connect's ConfigDef behaviour: parsing per type, validators' wording, docs descriptions."""

import pytest

from transforms.config import (
    NO_DEFAULT,
    AllOf,
    AtLeast,
    Config,
    ConfigKey,
    ConfigSpec,
    NonEmptyString,
    NonEmptyValues,
    Type,
    ValidString,
    parse_value,
    show,
)


def parse_error(type_: Type, raw: str) -> str:
    with pytest.raises(ValueError) as caught:
        parse_value(type_, raw)
    return str(caught.value)


def test_string_is_trimmed() -> None:
    assert parse_value(Type.STRING, "  a b \t") == "a b"


def test_boolean_any_case() -> None:
    assert (parse_value(Type.BOOLEAN, " TRUE "), parse_value(Type.BOOLEAN, "False")) == (True, False)


def test_boolean_wording() -> None:
    assert parse_error(Type.BOOLEAN, "yes") == "Expected value to be either true or false"


def test_int() -> None:
    assert parse_value(Type.INT, " -42 ") == -42


def test_int_wording() -> None:
    assert [parse_error(Type.INT, raw) for raw in ("1.5", "", "1_000", "2147483648")] == [
        "Not a number of type INT"
    ] * 4


def test_long_range() -> None:
    assert parse_value(Type.LONG, "9223372036854775807") == 2**63 - 1
    assert parse_error(Type.LONG, "9223372036854775808") == "Not a number of type LONG"


def test_list_split_and_trimmed() -> None:
    assert parse_value(Type.LIST, " a , b,c ") == ("a", "b", "c")
    assert parse_value(Type.LIST, "  ") == ()


def test_validator_wording() -> None:
    assert NonEmptyString()("") == "String must be non-empty"
    assert ValidString(("none", "all"))("some") == "String must be one of: none, all"
    assert AtLeast(-1)(-2) == "Value must be at least -1"
    assert NonEmptyValues("headers")(()) == (
        "Configuration 'headers' must not be empty. Valid values include: any non-empty value"
    )
    assert NonEmptyValues("headers")(("a", "")) == "Configuration 'headers' values must not be empty."
    assert AllOf((NonEmptyString(), ValidString(("a",))))("") == "String must be non-empty"


def test_validator_descriptions() -> None:
    assert [v.describe() for v in (ValidString(("none", "all")), AtLeast(0), NonEmptyValues("h"))] == [
        "[none, all]",
        "[0,...]",
        "any non-empty value",
    ]


def test_show_like_java() -> None:
    assert [show(v) for v in (None, True, ("a", "b"), 3, "x")] == ["null", "true", "[a, b]", "3", "x"]


SPEC = ConfigSpec(
    ConfigKey("name", Type.STRING, NO_DEFAULT, "Required.", NonEmptyString()),
    ConfigKey("count", Type.INT, 1, "Optional.", AtLeast(0)),
)


def test_validate_defaults() -> None:
    config, problems = SPEC.validate({"name": "x"}, prefix="transforms.a.")
    assert (dict(config), problems) == ({"name": "x", "count": 1}, [])


def test_validate_every_problem() -> None:
    assert SPEC.validate({"count": "-1"}, prefix="transforms.a.")[1] == [
        'Missing required configuration "transforms.a.name" which has no default value.',
        "Invalid value -1 for configuration transforms.a.count: Value must be at least 0",
    ]


def test_duplicate_key_in_a_spec() -> None:
    with pytest.raises(ValueError, match="ConfigSpec declares name more than once"):
        ConfigSpec(ConfigKey("name", Type.STRING, "", ""), ConfigKey("name", Type.INT, 0, ""))


def test_typed_getters() -> None:
    config = Config({"s": "x", "i": 1, "b": True, "l": ("a",), "n": None}, prefix="p.")
    assert (config.string("s"), config.integer("i"), config.boolean("b"), config.strings("l")) == ("x", 1, True, ("a",))
    assert config.optional_string("n") is None
    with pytest.raises(TypeError, match=r"configuration p\.s is 'x', not an integer"):
        config.integer("s")


def test_invalid_across_keys() -> None:
    error = Config({"low": 5}, prefix="transforms.a.").invalid("low", "must not exceed high")
    assert error.problems == ("Invalid value 5 for configuration transforms.a.low: must not exceed high",)
