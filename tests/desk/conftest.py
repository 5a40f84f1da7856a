import pytest

from tests.helpdesk.factories import make_staff


@pytest.fixture
def agent(db):
    return make_staff("agent", first_name="Alex", last_name="Agent")


@pytest.fixture
def desk(client, agent):
    """A browser session signed in to the desk as ``agent``."""
    client.force_login(agent)
    return client
