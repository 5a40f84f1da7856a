import pytest

from tests.support.server import live_server_any_db


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One real server (and database) shared by the tests of a module."""
    with live_server_any_db(tmp_path_factory.mktemp("live")) as running:
        yield running
