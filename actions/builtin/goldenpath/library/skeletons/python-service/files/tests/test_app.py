from app import greeting


def test_greets() -> None:
    assert greeting("{{ name }}") == "Hello, {{ name }}"
