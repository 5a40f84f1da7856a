"""The reports page in the desk user's language: the words built in Python (charts, tables, days), too."""

from __future__ import annotations

import pytest
from django.utils import translation
from lxml import html

from tests.helpdesk.factories import make_staff

URL = "/desk/reports/"
# A Monday and a Tuesday, long enough ago to be a valid period whenever the tests run.
PERIOD = {"start": "2025-06-02", "end": "2025-06-03"}


@pytest.fixture(autouse=True)
def _language_reset():
    """The locale middleware leaves the request's language active in the thread: later tests that
    call Python directly (no request) must not find it."""
    yield
    translation.deactivate()


@pytest.fixture
def desk(client, db):
    client.force_login(make_staff("agent", password=None, first_name="Alex", last_name="Agent"))
    return client


def _page(desk, language: str) -> html.HtmlElement:
    response = desk.get(URL, PERIOD, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return html.fromstring(response.content)


def _texts(page: html.HtmlElement, path: str) -> list[str]:
    return [" ".join(element.text_content().split()) for element in page.xpath(path)]


def test_a_german_desk_user_reads_the_charts_tables_and_days_in_german(desk):
    page = _page(desk, "de-DE,de;q=0.9")
    assert "CSV herunterladen" in _texts(page, "//a[@download]")
    headings = _texts(page, "//section/div[@class='report-head']/h2")
    assert headings == ["Eröffnet und geschlossen pro Tag", "Offene Tickets nach Status",
                        "Eröffnet pro Kategorie", "Antwort- und Lösungszeiten", "Erreichte SLA je Priorität",
                        "Zufriedenheit"]
    titles = _texts(page, "//*[local-name()='svg']/*[local-name()='title']")
    assert "Offene Tickets nach Status, jetzt" in titles
    descriptions = " ".join(_texts(page, "//*[local-name()='svg']/*[local-name()='desc']"))
    assert "Vom 2025-06-02 bis 2025-06-03: 0 eröffnet und 0 geschlossen" in descriptions
    assert "Erste Antwort: Median" in descriptions
    # The days of the table per day, with Django's German names of weekdays and months.
    assert _texts(page, "//section[@id='days']//tbody/tr/th") == ["Mo, 2. Jun 2025", "Di, 3. Jun 2025"]
    assert "Keine Bewertungen für die Lösungen dieses Zeitraums." in _texts(page, "//p[@class='muted']")


def test_the_same_page_in_english_keeps_its_english_words(desk):
    page = _page(desk, "en")
    assert "Download CSV" in _texts(page, "//a[@download]")
    assert _texts(page, "//section[@id='days']//tbody/tr/th") == ["Mon 2 Jun 2025", "Tue 3 Jun 2025"]
    assert "No ratings for the resolutions of this period." in _texts(page, "//p[@class='muted']")


def test_a_wrong_period_is_refused_in_the_users_language(desk):
    response = desk.get(URL, {"start": "2025-06-03", "end": "2025-06-02"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    assert "La date de fin (2025-06-02) est antérieure à la date de début (2025-06-03)." in (
        response.content.decode())
    csv = desk.get(f"{URL}days.csv", {"start": "2025-06-03", "end": "2025-06-02"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert csv.status_code == 400
    assert csv.content.decode().startswith("Ce rapport ne peut pas être établi : Au : La date de fin")
