"""The shipped configuration, shared with the incident tests."""

from tests.incidents.conftest import shipped_config  # noqa: F401  (fixture)
