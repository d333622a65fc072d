"""The chain's Connect semantics: aliases, types, implicit predicate/negate, drops, failures, all problems at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from single_stage import BINDINGS, problems, record

from transforms import (
    Chain,
    ConfigKey,
    ConfigSpec,
    DataError,
    Predicate,
    Record,
    Transformation,
    TransformError,
    Type,
    build_chain,
)
from transforms.config import Config

ROUTE_A = {"transforms.a.type": "RegexRouter", "transforms.a.regex": "(.*)", "transforms.a.replacement": "$1-a"}
ROUTE_B = {"transforms.b.type": "RegexRouter", "transforms.b.regex": "(.*)", "transforms.b.replacement": "$1-b"}


# Plugins for the dotted-path cases: `type=test_chain_build.<Name>`.
class Explode(Transformation):
    """Raises on every record."""

    def apply(self, record: Record) -> Record | None:
        raise ValueError(f"boom on {record.topic}")


class RetriableFault(Exception):
    retriable = True


class Flaky(Transformation):
    """Raises an exception that says it is retriable."""

    def apply(self, record: Record) -> Record | None:
        raise RetriableFault("try again")


class ReturnsText(Transformation):
    """Breaks the contract by returning a str."""

    def apply(self, record: Record) -> Record | None:
        return "not a record"  # type: ignore[return-value]


class BrokenPredicate(Predicate):
    """Raises on every record."""

    def test(self, record: Record) -> bool:
        raise KeyError("no such thing")


class NeedsOrder(Transformation):
    """Checks two keys together at build time."""

    CONFIG = ConfigSpec(
        ConfigKey("low", Type.INT, 0, "Lower bound."),
        ConfigKey("high", Type.INT, 10, "Upper bound."),
    )

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        if config.integer("low") > config.integer("high"):
            raise config.invalid("low", "must not exceed high")

    def apply(self, record: Record) -> Record | None:
        return record


class CannotStart(Transformation):
    """Fails in its constructor with an unexpected exception."""

    def __init__(self, config: Config) -> None:
        raise RuntimeError("no database")

    def apply(self, record: Record) -> Record | None:
        return record


def topic_after(properties: dict[str, str], topic: str = "t") -> str | None:
    result = build_chain(properties, env={}).apply(record(topic=topic))
    return None if result is None else result.topic


def failure_of(properties: dict[str, str]) -> TransformError:
    with pytest.raises(TransformError) as caught:
        build_chain(properties, env={}).apply(record(topic="t"))
    return caught.value


# Aliases.
def test_order_kept() -> None:
    assert topic_after({"transforms": "b,a", **ROUTE_A, **ROUTE_B}) == "t-b-a"


def test_whitespace_trimmed() -> None:
    assert topic_after({"transforms": "  a ,\tb  ", **ROUTE_A, **ROUTE_B}) == "t-a-b"


def test_no_transforms_is_identity() -> None:
    assert topic_after({}) == "t"
    assert topic_after({"transforms": ""}) == "t"


def test_duplicate_alias_wording() -> None:
    assert problems({"transforms": "a,a", **ROUTE_A}) == [
        "Invalid value [a, a] for configuration transforms: Duplicate alias provided."
    ]


def test_duplicate_predicate_alias_wording() -> None:
    props = {"predicates": "p, p", "predicates.p.type": "RecordIsTombstone"}
    assert problems(props) == ["Invalid value [p, p] for configuration predicates: Duplicate alias provided."]


def test_empty_alias_wording() -> None:
    assert problems({"transforms": "a,,b", **ROUTE_A, **ROUTE_B}) == [
        "Invalid value [a, , b] for configuration transforms: a transformation alias is empty; "
        "list aliases separated by single commas"
    ]


def test_unlisted_alias_keys_are_ignored() -> None:
    assert topic_after({"transforms": "a", **ROUTE_A, **ROUTE_B}) == "t-a"


def test_other_keys_are_ignored() -> None:
    assert topic_after({"spring.cloud.stream.bindings.input.destination": "${nope:x}", "server.port": "x"}) == "t"


# Types.
def test_connect_class_names() -> None:
    props = {**ROUTE_A, "transforms": "a", "transforms.a.type": "org.apache.kafka.connect.transforms.RegexRouter"}
    assert topic_after(props) == "t-a"


def test_connect_predicate_class_name() -> None:
    props = {
        "transforms": "f",
        "transforms.f.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.f.predicate": "p",
        "predicates": "p",
        "predicates.p.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        "predicates.p.pattern": "t",
    }
    assert topic_after(props) is None


def test_dotted_path() -> None:
    props = {**ROUTE_A, "transforms": "a", "transforms.a.type": "transforms.builtin.regex_router.RegexRouter"}
    assert topic_after(props) == "t-a"


def test_module_colon_class_path() -> None:
    props = {**ROUTE_A, "transforms": "a", "transforms.a.type": "transforms.builtin.regex_router:RegexRouter"}
    assert topic_after(props) == "t-a"


def test_unknown_type_names_the_closest() -> None:
    assert problems({"transforms": "a", "transforms.a.type": "RegexRouters"}) == [
        "Invalid value RegexRouters for configuration transforms.a.type: "
        "Class RegexRouters could not be found. Did you mean RegexRouter?"
    ]


def test_unknown_type_in_another_case() -> None:
    assert problems({"transforms": "a", "transforms.a.type": "valuetemplate"}) == [
        "Invalid value valuetemplate for configuration transforms.a.type: "
        "Class valuetemplate could not be found. Did you mean ValueTemplate?"
    ]


def test_unknown_type_far_from_anything_lists_the_known() -> None:
    (problem,) = problems({"transforms": "a", "transforms.a.type": "zzz"})
    assert problem.startswith(
        "Invalid value zzz for configuration transforms.a.type: Class zzz could not be found. "
        "Known transformations: DropHeaders, Filter, InsertHeader, RegexRouter, TimestampParityRouter, "
        "TimestampRouter, ValueTemplate"
    )


def test_missing_module_is_not_found() -> None:
    (problem,) = problems({"transforms": "a", "transforms.a.type": "no_such_module.Thing"})
    assert problem.startswith("Invalid value no_such_module.Thing for configuration transforms.a.type: Class ")


def test_not_a_transformation() -> None:
    assert problems({"transforms": "a", "transforms.a.type": "collections.OrderedDict"}) == [
        "Invalid value collections.OrderedDict for configuration transforms.a.type: "
        "Not a Transformation: collections.OrderedDict must be a subclass of transforms.Transformation"
    ]


def test_predicate_given_as_a_transformation() -> None:
    assert problems(
        {"transforms": "a", "transforms.a.type": "transforms.builtin.predicates.has_header_key.HasHeaderKey"}
    ) == [
        "Invalid value transforms.builtin.predicates.has_header_key.HasHeaderKey for configuration "
        "transforms.a.type: Not a Transformation (it is a predicate; declare it under predicates): "
        "transforms.builtin.predicates.has_header_key.HasHeaderKey must be a subclass of transforms.Transformation"
    ]


def test_missing_type_wording() -> None:
    assert problems({"transforms": "a"}) == [
        'Missing required configuration "transforms.a.type" which has no default value.'
    ]


def test_entry_point_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "shouting_plugin.py").write_text(
        "from transforms import Record, Transformation\n"
        "class Shout(Transformation):\n"
        "    def apply(self, record: Record) -> Record | None:\n"
        "        return record.with_value((record.value or b'').upper())\n"
    )
    info = tmp_path / "shouting_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shouting-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[python_router.transforms]\nShout = shouting_plugin:Shout\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    chain = build_chain({"transforms": "s", "transforms.s.type": "Shout"}, env={})
    assert chain.apply(record(b"hi")) == record(b"HI")
    assert problems({"transforms": "s", "transforms.s.type": "Shoot"}) == [
        "Invalid value Shoot for configuration transforms.s.type: Class Shoot could not be found. Did you mean Shout?"
    ]


def test_entry_point_that_fails_to_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = tmp_path / "broken_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[python_router.predicates]\nBroken = no_such_module_here:Broken\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    (problem,) = problems({"predicates": "p", "predicates.p.type": "Broken"})
    assert problem.startswith(
        "Invalid value Broken for configuration predicates.p.type: Class Broken could not be loaded: the plugin's "
        "entry point no_such_module_here:Broken (group python_router.predicates) raised ModuleNotFoundError"
    )


# Plugins' own checks.
def test_check_across_keys() -> None:
    props = {"transforms": "n", "transforms.n.type": "test_chain_build.NeedsOrder", "transforms.n.low": "11"}
    assert problems(props) == ["Invalid value 11 for configuration transforms.n.low: must not exceed high"]


def test_constructor_failure_is_a_config_error() -> None:
    assert problems({"transforms": "c", "transforms.c.type": "test_chain_build.CannotStart"}) == [
        "Invalid value test_chain_build.CannotStart for configuration transforms.c.type: "
        "building the transformation failed: RuntimeError: no database"
    ]


def test_bad_number_wording() -> None:
    props = {"transforms": "n", "transforms.n.type": "test_chain_build.NeedsOrder", "transforms.n.low": "1.5"}
    assert problems(props) == ["Invalid value 1.5 for configuration transforms.n.low: Not a number of type INT"]


# Predicates, negate.
def guarded(predicate_true: bool, negate: str | None) -> bool:
    """Whether a Filter guarded by a predicate (true or not for the record) dropped the record."""
    props = {
        "transforms": "f",
        "transforms.f.type": "Filter",
        "transforms.f.predicate": "p",
        "predicates": "p",
        "predicates.p.type": "TopicNameMatches",
        "predicates.p.pattern": "t" if predicate_true else "other",
    }
    if negate is not None:
        props["transforms.f.negate"] = negate
    return topic_after(props) is None


def test_predicate_true_applies() -> None:
    assert guarded(True, None)


def test_predicate_false_skips() -> None:
    assert not guarded(False, None)


def test_negate_inverts() -> None:
    assert not guarded(True, "true")
    assert guarded(False, "TRUE")


def test_negate_false_is_plain() -> None:
    assert guarded(True, "false")


def test_negate_without_predicate_wording() -> None:
    assert problems({"transforms": "f", "transforms.f.type": "Filter", "transforms.f.negate": "true"}) == [
        "Config 'transforms.f.negate' was provided but there is no config 'transforms.f.predicate' "
        "defining a predicate to be negated."
    ]


def test_negate_not_boolean_wording() -> None:
    props = {"transforms": "f", "transforms.f.type": "Filter", "transforms.f.negate": "yes",
             "transforms.f.predicate": "p", "predicates": "p", "predicates.p.type": "RecordIsTombstone"}  # fmt: skip
    assert problems(props) == [
        "Invalid value yes for configuration transforms.f.negate: Expected value to be either true or false"
    ]


def test_undeclared_predicate_wording() -> None:
    props = {"transforms": "f", "transforms.f.type": "Filter", "transforms.f.predicate": "isTomb",
             "predicates": "isTombstone", "predicates.isTombstone.type": "RecordIsTombstone"}  # fmt: skip
    assert problems(props) == [
        "Invalid value isTomb for configuration transforms.f.predicate: there is no predicate isTomb in "
        "predicates (declared: [isTombstone]); did you mean isTombstone?"
    ]


def test_predicate_without_any_declared() -> None:
    assert problems({"transforms": "f", "transforms.f.type": "Filter", "transforms.f.predicate": "p"}) == [
        "Invalid value p for configuration transforms.f.predicate: there is no predicate p in predicates; "
        "declare it: predicates=p and predicates.p.type=..."
    ]


def test_chain_stops_at_the_first_drop() -> None:
    props = {"transforms": "f,x", "transforms.f.type": "Filter", "transforms.x.type": "test_chain_build.Explode"}
    assert topic_after(props) is None


def test_skipped_stage_does_not_run() -> None:
    props = {"transforms": "x", "transforms.x.type": "test_chain_build.Explode", "transforms.x.predicate": "p",
             "predicates": "p", "predicates.p.type": "RecordIsTombstone"}  # fmt: skip
    assert topic_after(props) == "t"


# Every problem of the whole configuration, at once.
def test_every_problem_reported_at_once() -> None:
    props = {
        "transforms": "parity,label,x",
        "transforms.parity.type": "TimestampParityRouter",
        "transforms.parity.even.topic": "${binding:even}",
        "transforms.parity.unit": "fortnights",
        "transforms.label.type": "ValueTemplate",
        "transforms.label.predicate": "p",
        "transforms.x.type": "Nope",
        "predicates": "p",
        "predicates.p.type": "TopicNameMatches",
        "predicates.p.pattern": "(",
        "errors.tolerance": "some",
    }
    assert problems(props, bindings={"odd": "oddDest"}, env={}) == [
        "Invalid value ${binding:even} for configuration transforms.parity.even.topic: ${binding:even}: no binding "
        "named 'even' (known bindings: odd); set spring.cloud.stream.bindings.even.destination",
        "Invalid value ( for configuration predicates.p.pattern: "
        "Invalid regex: missing ), unterminated subpattern at position 0",
        'Missing required configuration "transforms.parity.odd.topic" which has no default value.',
        "Invalid value fortnights for configuration transforms.parity.unit: "
        "String must be one of: millis, seconds, minutes, hours, days",
        'Missing required configuration "transforms.label.template" which has no default value.',
        "Invalid value Nope for configuration transforms.x.type: Class Nope could not be found. "
        "Known transformations: DropHeaders, Filter, InsertHeader, RegexRouter, TimestampParityRouter, "
        "TimestampRouter, ValueTemplate; or give a plugin's entry point name (group python_router.transforms) "
        "or a dotted path such as my_package.module.MyClass.",
        "Invalid value some for configuration errors.tolerance: String must be one of: none, all",
    ]


def test_config_error_message_counts_the_problems() -> None:
    from transforms import ConfigError

    with pytest.raises(ConfigError) as caught:
        build_chain({"transforms": "a,b"}, env={})
    assert str(caught.value) == (
        "Configuration has 2 errors:\n"
        '  - Missing required configuration "transforms.a.type" which has no default value.\n'
        '  - Missing required configuration "transforms.b.type" which has no default value.'
    )


# Failures while applying.
def test_failure_names_the_stage() -> None:
    failure = failure_of({"transforms": "a,x", **ROUTE_A, "transforms.x.type": "test_chain_build.Explode"}).failure
    assert (failure.stage, failure.alias, failure.class_name) == ("TRANSFORMATION", "x", "test_chain_build.Explode")
    assert (failure.exception_class, failure.message, failure.retriable) == (
        "builtins.ValueError",
        "boom on t-a",
        False,
    )
    trace = failure.trace()
    assert trace is not None and 'raise ValueError(f"boom on {record.topic}")' in trace


@pytest.mark.parametrize(
    "configured", ["TimestampParityRouter", "transforms.builtin.timestamp_parity_router.TimestampParityRouter"]
)
def test_a_failure_names_the_stages_class_fully_qualified_as_connect_does(configured: str) -> None:
    # Connect's __connect.errors.class.name is the stage's class name, package included, however it was
    # configured; a Python class's analogue is its dotted path.
    properties = {"transforms": "p", "transforms.p.type": configured, "transforms.p.even.topic": "e",
                  "transforms.p.odd.topic": "o"}  # fmt: skip
    failure = failure_of(properties).failure
    assert failure.class_name == "transforms.builtin.timestamp_parity_router.TimestampParityRouter"


def test_failure_keeps_the_cause() -> None:
    error = failure_of({"transforms": "x", "transforms.x.type": "test_chain_build.Explode"})
    assert isinstance(error.__cause__, ValueError)
    assert str(error) == "TRANSFORMATION stage 'x' (test_chain_build.Explode) failed: builtins.ValueError: boom on t"


def test_retriable_exception() -> None:
    failure = failure_of({"transforms": "x", "transforms.x.type": "test_chain_build.Flaky"}).failure
    assert failure.retriable and failure.exception_class == "test_chain_build.RetriableFault"


def test_predicate_failure() -> None:
    props = {"transforms": "f", "transforms.f.type": "Filter", "transforms.f.predicate": "bad",
             "predicates": "bad", "predicates.bad.type": "test_chain_build.BrokenPredicate"}  # fmt: skip
    failure = failure_of(props).failure
    assert (failure.stage, failure.alias, failure.class_name) == (
        "PREDICATE",
        "bad",
        "test_chain_build.BrokenPredicate",
    )
    assert (failure.exception_class, failure.message) == ("builtins.KeyError", "'no such thing'")


def test_returning_something_else_than_a_record() -> None:
    failure = failure_of({"transforms": "r", "transforms.r.type": "test_chain_build.ReturnsText"}).failure
    assert failure.exception_class == "transforms.errors.DataError"
    assert failure.message == "the transformation returned str 'not a record', not a Record or None; fix its apply()"


def test_data_error_is_the_library_error() -> None:
    assert issubclass(DataError, Exception)


# What the chain tells about itself.
def recipe_like() -> Chain:
    return build_chain(
        {
            "transforms": "parity,label",
            "transforms.parity.type": "TimestampParityRouter",
            "transforms.parity.even.topic": "${binding:even}",
            "transforms.parity.odd.topic": "${binding:odd}",
            "transforms.label.type": "ValueTemplate",
            "transforms.label.template": "Odd: {value}",
            "transforms.label.predicate": "toEven",
            "transforms.label.negate": "true",
            "predicates": "toEven",
            "predicates.toEven.type": "TopicNameMatches",
            "predicates.toEven.pattern": "${binding:even}",
        },
        bindings=BINDINGS,
        env={},
    )


def test_describe() -> None:
    assert recipe_like().describe() == [
        {"alias": "parity", "type": "TimestampParityRouter", "predicate": None, "negate": False},
        {"alias": "label", "type": "ValueTemplate", "predicate": "toEven", "negate": True},
    ]


def test_stages() -> None:
    assert [(s.alias, s.type_name, s.predicate, s.negate) for s in recipe_like().stages] == [
        ("parity", "TimestampParityRouter", None, False),
        ("label", "ValueTemplate", "toEven", True),
    ]


def test_default_error_policy() -> None:
    policy = recipe_like().errors
    assert (policy.tolerance, policy.dead_letter_topic, policy.dead_letter_replication_factor) == ("none", None, -1)


def test_input_record_unchanged() -> None:
    original = record(b"05/17/19 17:56:37")
    assert recipe_like().apply(original) == Record(topic="oddDest", value=b"Odd: 05/17/19 17:56:37")
    assert original == record(b"05/17/19 17:56:37")


def test_a_value_that_is_not_text() -> None:
    assert problems({"transforms": "a", "transforms.a.type": "Filter", "errors.log.enable": True}) == [  # type: ignore[dict-item]
        "Invalid value true for configuration errors.log.enable: Expected value to be a string, but it was a bool"
    ]
