import pytest

from tests.notify.world import build_world


@pytest.fixture
def world(store, tmp_path):
    w = build_world(store, tmp_path)
    yield w
    w.close()
