"""The shipped configuration for the web view tests."""

from tests.incidents.conftest import shipped_config  # noqa: F401  (fixture)
