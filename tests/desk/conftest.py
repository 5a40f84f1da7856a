import pytest

from tests.helpdesk.factories import make_staff


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The production hasher is slow on purpose; these tests sign in dozens of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def agent(db):
    return make_staff("agent", first_name="Alex", last_name="Agent")


@pytest.fixture
def desk(client, agent):
    """A browser session signed in to the desk as ``agent``."""
    client.force_login(agent)
    return client
