"""docs/transforms.md is generated from the specs: the checked-in file must be the current output."""

from pathlib import Path

from transforms import docs

CHECKED_IN = Path(__file__).resolve().parents[2] / "docs" / "transforms.md"


def test_checked_in_reference_is_current() -> None:
    assert CHECKED_IN.read_text(encoding="utf-8") == docs.markdown(), f"regenerate it: {docs.COMMAND}"


def test_every_built_in_and_key_appears() -> None:
    text = docs.markdown()
    from transforms.builtin import PREDICATES, TRANSFORMATIONS
    from transforms.error_policy import ErrorPolicy

    for cls in [*TRANSFORMATIONS.values(), *PREDICATES.values()]:
        assert f"### {cls.__name__}" in text
        assert all(f"| `{key.name}` |" in text for key in cls.CONFIG.keys)
    assert all(f"| `{key.name}` |" in text for key in ErrorPolicy.SPEC.keys)


def test_check_mode(tmp_path: Path) -> None:
    stale = tmp_path / "transforms.md"
    stale.write_text("old")
    assert docs.main(["--check", str(stale)]) == 1
    assert docs.main(["--write", str(stale)]) == 0
    assert docs.main(["--check", str(stale)]) == 0
