"""The chain: Kafka Connect's `transforms=` / `predicates=` properties built, all checked at once, into
an immutable sequence of stages that turns one record into a record or nothing."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from transforms.config import ConfigSpec, Type, closest, invalid_value, missing_value, parse_value, show, unknown_keys
from transforms.error_policy import ErrorPolicy, parse_error_policy
from transforms.errors import ConfigError, DataError, Failure, TransformError
from transforms.plugin import Predicate, Transformation
from transforms.providers import ConfigProviders
from transforms.record import Record
from transforms.registry import Kind, find_class

TRANSFORMS = "transforms"
PREDICATES = "predicates"
# Keys every transformation has implicitly (Connect's PredicatedTransformation); they mask a plugin's own.
IMPLICIT_KEYS = ("type", "predicate", "negate")


@dataclass(frozen=True, slots=True)
class StageInfo:
    """One stage as configured: its alias, its `type`, and the predicate that guards it (if any)."""

    alias: str
    type_name: str
    predicate: str | None
    negate: bool


@dataclass(frozen=True, slots=True)
class _Stage:
    apply: Callable[[Record], Record | None]
    test: Callable[[Record], bool] | None
    negate: bool
    info: StageInfo
    # Fully qualified class names (module.Class), as Connect names a failing stage (executingClass().getName()).
    class_name: str
    predicate_class: str | None


class Chain:
    """An immutable, ready-to-run sequence of stages, built by `build_chain`.

    `apply(record)` returns the transformed record, or None when a stage dropped it (the chain stops
    there), or raises TransformError naming the stage that failed and why.
    """

    __slots__ = ("_errors", "_info", "_plan", "_stages")

    def __init__(self, stages: Sequence[_Stage], errors: ErrorPolicy) -> None:
        self._stages = tuple(stages)
        self._info = tuple(stage.info for stage in self._stages)
        self._errors = errors
        # What apply() needs per stage, as tuples: unpacking one is cheaper than reading four attributes.
        self._plan = tuple((s.apply, s.test, s.negate, s) for s in self._stages)

    @property
    def stages(self) -> tuple[StageInfo, ...]:
        return self._info

    @property
    def errors(self) -> ErrorPolicy:
        return self._errors

    def describe(self) -> list[dict[str, object]]:
        """The stages as JSON-ready dicts, for /actuator/info."""
        return [
            {"alias": s.alias, "type": s.type_name, "predicate": s.predicate, "negate": s.negate} for s in self._info
        ]

    def __repr__(self) -> str:
        return f"Chain({', '.join(f'{s.alias}={s.type_name}' for s in self._info)})"

    def apply(self, record: Record) -> Record | None:
        for apply, test, negate, stage in self._plan:
            if test is not None:
                try:
                    matched = test(record)
                except Exception as exc:  # any fault of a stage becomes a TransformError naming it
                    raise _failure("PREDICATE", stage.info.predicate, stage.predicate_class, exc) from exc
                if (not matched) is not negate:  # a stage applies when negate XOR test(record)
                    continue
            try:
                result = apply(record)
            except Exception as exc:  # any fault of a stage becomes a TransformError naming it
                raise _failure("TRANSFORMATION", stage.info.alias, stage.class_name, exc) from exc
            if result is None:
                return None
            if result.__class__ is not Record and not isinstance(result, Record):
                problem = DataError(
                    f"the transformation returned {type(result).__name__} {result!r:.100}, "
                    "not a Record or None; fix its apply()"
                )
                raise _failure("TRANSFORMATION", stage.info.alias, stage.class_name, problem)
            record = result
        return record


def qualified_name(cls: type) -> str:
    """`module.Class`: what Connect's dead letters and logs call a stage (a Java class's getName())."""
    return f"{cls.__module__}.{cls.__qualname__}"


def _failure(stage: str, alias: str | None, class_name: str | None, exc: BaseException) -> TransformError:
    cls = type(exc)
    return TransformError(
        Failure(
            stage=stage,
            alias=alias or "",
            class_name=class_name or "",
            exception_class=qualified_name(cls),
            message=str(exc) or cls.__name__,
            retriable=getattr(exc, "retriable", False) is True,
            exception=exc,
        )
    )


def _is_chain_key(key: str) -> bool:
    return key in (TRANSFORMS, PREDICATES) or key.startswith(("transforms.", "predicates.", "errors."))


def build_chain(
    properties: Mapping[str, str],
    *,
    bindings: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
) -> Chain:
    """Build the chain that `properties` describe (Kafka Connect's syntax); other keys are ignored.

    `bindings` maps SCDF binding names to topics for `${binding:name}` (its `input` also guards the dead
    letter topic); `env` serves `${env:NAME}` (default: the process environment). Raises ConfigError
    listing every problem in the whole configuration.

    >>> chain = build_chain({"transforms": "route", "transforms.route.type": "RegexRouter",
    ...                      "transforms.route.regex": "time(.*)", "transforms.route.replacement": "clock$1"})
    >>> chain.apply(Record(topic="timeDest", value=b"x")).topic
    'clockDest'
    """
    bindings = {} if bindings is None else bindings
    providers = ConfigProviders(bindings=bindings, env=os.environ if env is None else env)
    problems: list[str] = []
    resolved: dict[str, str] = {}
    unresolved: set[str] = set()  # keys whose reference failed: already reported, not checked again
    for key, value in properties.items():
        if not _is_chain_key(key):
            continue
        if not isinstance(value, str):  # properties are text; a caller's stray int or None must not crash
            problems.append(
                invalid_value(value, key, f"Expected value to be a string, but it was a {type(value).__name__}")
            )
            unresolved.add(key)
            continue
        try:
            resolved[key] = providers.resolve(key, value)
        except ConfigError as exc:
            problems.extend(exc.problems)
            unresolved.add(key)

    builder = _Builder(resolved, unresolved, problems)
    predicate_aliases = builder.aliases(PREDICATES, "predicate")
    transform_aliases = builder.aliases(TRANSFORMS, "transformation")
    predicates = {alias: builder.predicate(alias) for alias in predicate_aliases}
    stages = [builder.stage(alias, predicates, predicate_aliases) for alias in transform_aliases]
    errors_props = {k: v for k, v in resolved.items() if k.startswith("errors.") and k not in unresolved}
    policy, policy_problems = parse_error_policy(errors_props, input_topic=bindings.get("input"))
    problems.extend(policy_problems)
    if problems or policy is None:
        raise ConfigError(problems)
    return Chain([stage for stage in stages if stage is not None], policy)


class _Builder:
    """Builds the plugins of one configuration, adding every problem it finds to `problems`."""

    def __init__(self, props: Mapping[str, str], unresolved: set[str], problems: list[str]) -> None:
        self.props = props
        self.unresolved = unresolved
        self.problems = problems

    def aliases(self, key: str, kind: str) -> list[str]:
        """The aliases listed in `key` (`transforms` or `predicates`), checked like Connect's validator."""
        if key not in self.props:
            return []
        parsed = parse_value(Type.LIST, self.props[key])
        assert isinstance(parsed, tuple)
        aliases = list(parsed)
        if len(set(aliases)) < len(aliases):
            self.problems.append(invalid_value(aliases, key, "Duplicate alias provided."))
            aliases = list(dict.fromkeys(aliases))
        if "" in aliases:
            self.problems.append(
                invalid_value(aliases, key, f"a {kind} alias is empty; list aliases separated by single commas")
            )
            aliases = [alias for alias in aliases if alias]
        return aliases

    def own_keys(self, prefix: str) -> dict[str, str]:
        return {k.removeprefix(prefix): v for k, v in self.props.items() if k.startswith(prefix)}

    def plugin(
        self, kind: Kind, prefix: str, own: Mapping[str, str]
    ) -> tuple[type[Transformation] | type[Predicate], object] | None:
        """Find the class `prefix + "type"` names, validate its config and build it; None on problems."""
        type_key = prefix + "type"
        if type_key in self.unresolved:
            return None
        if "type" not in own:
            self.problems.append(missing_value(type_key))
            return None
        type_name = own["type"].strip()
        try:
            cls = find_class(kind, type_name)
        except LookupError as exc:
            self.problems.append(invalid_value(type_name, type_key, str(exc)))
            return None
        spec: ConfigSpec = cls.CONFIG
        declared = [name for name in spec.names() if name not in IMPLICIT_KEYS]
        config_props = {k: v for k, v in own.items() if k not in IMPLICIT_KEYS}
        skip = {k.removeprefix(prefix) for k in self.unresolved if k.startswith(prefix)} - set(IMPLICIT_KEYS)
        config, problems = spec.validate(config_props, prefix=prefix)
        problems = [p for p in problems if not any(f'"{prefix}{k}"' in p for k in skip)]
        problems += unknown_keys(
            declared, [k for k in config_props if k not in declared and k not in skip], prefix, type_name
        )
        self.problems.extend(problems)
        if problems or skip:
            return None
        try:
            return cls, cls(config)
        except ConfigError as exc:
            self.problems.extend(exc.problems)
        except Exception as exc:  # a plugin that cannot start must become a config error, whatever it raises
            self.problems.append(
                invalid_value(type_name, type_key, f"building the {kind} failed: {type(exc).__name__}: {exc}")
            )
        return None

    def predicate(self, alias: str) -> Predicate | None:
        built = self.plugin("predicate", f"{PREDICATES}.{alias}.", self.own_keys(f"{PREDICATES}.{alias}."))
        return None if built is None else built[1]  # type: ignore[return-value]

    def stage(self, alias: str, predicates: Mapping[str, Predicate | None], declared: Sequence[str]) -> _Stage | None:
        prefix = f"{TRANSFORMS}.{alias}."
        own = self.own_keys(prefix)
        predicate_alias = own.get("predicate", "").strip() or None
        negate = False
        problems_before = len(self.problems)
        if "negate" in own:
            try:
                negate = parse_value(Type.BOOLEAN, own["negate"]) is True
            except ValueError as exc:
                self.problems.append(invalid_value(own["negate"], prefix + "negate", str(exc)))
            if predicate_alias is None:
                self.problems.append(
                    f"Config '{prefix}negate' was provided but there is no config '{prefix}predicate' "
                    "defining a predicate to be negated."
                )
        if predicate_alias is not None and predicate_alias not in declared:
            self.problems.append(
                invalid_value(predicate_alias, prefix + "predicate", _undeclared(predicate_alias, declared))
            )
        built = self.plugin("transformation", prefix, own)
        if built is None or len(self.problems) > problems_before:
            return None
        transformation = built[1]
        assert isinstance(transformation, Transformation)
        predicate = predicates.get(predicate_alias) if predicate_alias is not None else None
        if predicate_alias is not None and predicate is None:
            return None  # the predicate's own problems are reported already
        return _Stage(
            apply=transformation.apply,
            test=None if predicate is None else predicate.test,
            negate=negate,
            info=StageInfo(alias=alias, type_name=own["type"].strip(), predicate=predicate_alias, negate=negate),
            class_name=qualified_name(type(transformation)),
            predicate_class=None if predicate is None else qualified_name(type(predicate)),
        )


def _undeclared(alias: str, declared: Sequence[str]) -> str:
    message = f"there is no predicate {alias} in {PREDICATES}"
    if declared:
        message += f" (declared: {show(list(declared))})"
        close = closest(alias, declared)
        if close:
            message += f"; did you mean {close[0]}?"
    else:
        message += f"; declare it: {PREDICATES}={alias} and {PREDICATES}.{alias}.type=..."
    return message
