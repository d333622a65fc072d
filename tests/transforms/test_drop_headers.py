from single_stage import record, stage_problems, transform

HEADERS = (("a", b"1"), ("b", b"2"), ("a", b"3"), ("c", b"4"))


def kept(names: str, headers: tuple[tuple[str, bytes], ...] = HEADERS) -> tuple[tuple[str, bytes], ...]:
    result = transform("DropHeaders", {"headers": names}, record(headers=headers))
    assert result is not None
    return result.headers


def test_drops_every_header_of_the_name() -> None:
    assert kept("a") == (("b", b"2"), ("c", b"4"))


def test_drops_several_names() -> None:
    assert kept("a, c") == (("b", b"2"),)


def test_unknown_name_keeps_all() -> None:
    assert kept("z") == HEADERS


def test_no_headers() -> None:
    assert kept("a", ()) == ()


# Connect 4.3.1's wording (ConfigDef.ValidList.anyNonDuplicateValues(false, false)), as its DropHeaders
# answers when configured with these values (checked by running it from the project's Kafka jars).
def test_empty_list_wording() -> None:
    assert stage_problems("DropHeaders", {"headers": ""}) == [
        "Invalid value [] for configuration transforms.a.headers: "
        "Configuration 'headers' must not be empty. Valid values include: any non-empty value"
    ]


def test_an_empty_name_in_the_list_is_refused_as_connect_does() -> None:
    assert stage_problems("DropHeaders", {"headers": "a,,b"}) == [
        "Invalid value [a, , b] for configuration transforms.a.headers: "
        "Configuration 'headers' values must not be empty."
    ]
