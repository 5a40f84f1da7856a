import pytest

from tests.helpdesk.factories import make_contact, make_staff

from .factories import make_kb_category


@pytest.fixture
def agent(db):
    return make_staff("writer", password=None)


@pytest.fixture
def kb_category(db):
    return make_kb_category("Mail")


@pytest.fixture
def contact(db):
    return make_contact("acme")
