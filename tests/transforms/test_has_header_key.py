from single_stage import holds, record, stage_problems


def has(name: str, *headers: tuple[str, bytes]) -> bool:
    return holds("HasHeaderKey", {"name": name}, record(headers=headers))


# The cases of Connect's HasHeaderKeyTest.
def test_test() -> None:
    assert has("foo", ("foo", b"bar"))
    assert has("foo", ("foo", b"bar"), ("foo", b"baz"))
    assert has("foo", ("bar", b"x"), ("foo", b"bar"))
    assert not has("foo")
    assert not has("foo", ("bar", b"x"))


def test_header_names_are_case_sensitive() -> None:
    assert not has("foo", ("Foo", b"x"))


def test_empty_name_wording() -> None:
    assert stage_problems("HasHeaderKey", {"name": ""}, kind="predicates") == [
        "Invalid value  for configuration predicates.a.name: String must be non-empty"
    ]
