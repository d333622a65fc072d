from single_stage import holds, record, stage_problems


def matches(pattern: str, topic: str) -> bool:
    return holds("TopicNameMatches", {"pattern": pattern}, record(topic=topic))


# The cases of Connect's TopicNameMatchesTest.
def test_test() -> None:
    assert matches("my-prefix-.*", "my-prefix-")
    assert matches("my-prefix-.*", "my-prefix-foo")
    assert not matches("my-prefix-.*", "x-my-prefix-")
    assert not matches("my-prefix-.*", "x-my-prefix-foo")
    assert not matches("my-prefix-.*", "your-prefix-")
    assert not matches("my-prefix-.*", "your-prefix-foo")


def test_whole_topic_must_match() -> None:
    assert not matches("evenDest", "evenDest2")


def test_invalid_regex_wording() -> None:
    assert stage_problems("TopicNameMatches", {"pattern": "*"}, kind="predicates") == [
        "Invalid value * for configuration predicates.a.pattern: Invalid regex: nothing to repeat at position 0"
    ]


def test_empty_pattern_wording() -> None:
    assert stage_problems("TopicNameMatches", {"pattern": ""}, kind="predicates") == [
        "Invalid value  for configuration predicates.a.pattern: String must be non-empty"
    ]


def test_missing_pattern_wording() -> None:
    assert stage_problems("TopicNameMatches", kind="predicates") == [
        'Missing required configuration "predicates.a.pattern" which has no default value.'
    ]
