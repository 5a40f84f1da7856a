"""The reports page and its CSV files through the test client: access, the period's validation, output."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from lxml import etree, html

from extdesk.helpdesk.models import Category
from extdesk.sso.services import user_for_contact
from tests.helpdesk.factories import make_staff

URL = "/desk/reports/"


@pytest.fixture
def desk(client, db):
    client.force_login(make_staff("agent", password=None, first_name="Alex", last_name="Agent"))
    return client


def test_the_address_and_the_navigation_link(desk):
    assert reverse("reports:report") == URL
    assert reverse("reports:csv", args=["days"]) == "/desk/reports/days.csv"
    page = desk.get("/desk/").content.decode()
    assert f'<a href="{URL}">Reports</a>' in page


def test_anonymous_visitors_go_to_the_sign_in_page(client, db):
    for url in (URL, f"{URL}days.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/desk/login/?next=")


def test_a_customer_is_refused(client, contact):
    client.force_login(user_for_contact(contact))
    for url in (URL, f"{URL}sla.csv"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/desk/login/")


def test_an_inactive_or_non_staff_user_is_refused(client, db):
    client.force_login(make_staff("gone", password=None, is_active=False))
    assert client.get(URL).status_code == 302


def test_the_page_shows_six_charts_their_tables_and_csv_links(desk, tickets):
    now = datetime.now(UTC)
    tickets({"created_at": now - timedelta(days=2), "first_responded_at": now - timedelta(days=2, hours=-1),
             "closed_at": now - timedelta(days=1)})
    response = desk.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 6
    for dataset in ("days", "backlog", "categories", "times", "sla", "satisfaction"):
        assert f'href="/desk/reports/{dataset}.csv"' in page
    assert page.count('<table class="tickets report-table">') == 5
    assert 'aria-current="page">Last 30 days</a>' in page
    assert 'aria-current="page">Reports</a>' in page
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_a_preset_and_the_filters_go_into_the_csv_links(desk):
    response = desk.get(URL, {"period": "7", "priority": "4"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-current="page">Last 7 days</a>' in page
    assert 'href="/desk/reports/sla.csv?period=7&amp;priority=4"' in page
    assert len(response.context["report"].days) == 7


@pytest.mark.parametrize(("query", "field", "message"), [
    ({"period": "45"}, "period", "Choose the last 7, 30 or 90 days, or give the dates."),
    ({"start": "2026-02-30", "end": "2026-03-01"}, "start", "Enter a date as YYYY-MM-DD"),
    ({"start": "yesterday", "end": "2026-03-01"}, "start", "Enter a date as YYYY-MM-DD"),
    ({"start": "2026-03-01"}, "end", "Give both dates, from and to"),
    ({"end": "2026-03-01"}, "start", "Give both dates, from and to"),
    ({"start": "2026-03-02", "end": "2026-03-01"}, "end",
     "The end date (2026-03-01) is before the start date (2026-03-02)."),
    ({"start": "2024-01-01", "end": "2025-01-02"}, "end",
     "A report covers at most 366 days; 2024-01-01 to 2025-01-02 is 368."),
    ({"start": "2026-01-01", "end": "2999-01-01"}, "end", "The end date (2999-01-01) is after today"),
    ({"start": "0001-01-01", "end": "0001-01-31"}, "start",
     "The start date (0001-01-01) is before 1970-01-01."),
    ({"priority": "9"}, "priority", "Select a valid choice."),
    ({"category": "12345"}, "category", "Select a valid choice."),
    ({"assignee": "x"}, "assignee", "Select a valid choice."),
])
def test_a_wrong_period_or_filter_is_named_and_no_report_is_made(desk, query, field, message):
    response = desk.get(URL, query)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert message.split("(")[0] in response.content.decode().replace("&#x27;", "'")
    assert "report" not in response.context
    csv_response = desk.get(f"{URL}days.csv", query)
    assert csv_response.status_code == 400
    assert csv_response["Content-Type"].startswith("text/plain")
    assert message in csv_response.content.decode()


def test_dates_replace_the_preset(desk):
    response = desk.get(URL, {"period": "7", "start": "2026-01-01", "end": "2026-01-31"})
    assert response.status_code == 200
    assert len(response.context["report"].days) == 31
    assert 'aria-current="page">2026-01-01 to 2026-01-31</a>' in response.content.decode()


def test_an_unknown_dataset_is_not_found(desk):
    assert desk.get(f"{URL}secrets.csv").status_code == 404


def test_the_csv_download(desk, tickets):
    Category.objects.create(name='=HYPERLINK("http://evil.example","click")')
    evil = Category.objects.get()
    day = datetime(2026, 1, 15, 12, tzinfo=UTC)
    tickets({"created_at": day, "category": evil}, {"created_at": day})
    response = desk.get(f"{URL}categories.csv", {"start": "2026-01-01", "end": "2026-01-31"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="extdesk-categories-2026-01-01-to-2026-01-31.csv"')
    text = response.content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["category", "tickets opened"], ['\'=HYPERLINK("http://evil.example","click")', "1"],
        ["No category", "1"]]
    days_csv = desk.get(f"{URL}days.csv", {"start": "2026-01-14", "end": "2026-01-16"})
    days = list(csv.reader(io.StringIO(days_csv.content.decode("utf-8-sig"))))
    assert days == [["date", "opened", "closed"], ["2026-01-14", "0", "0"], ["2026-01-15", "2", "0"],
                    ["2026-01-16", "0", "0"]]


def test_hostile_category_names_are_escaped_in_the_page_and_its_charts(desk, tickets):
    name = '</title></svg><script>alert("x")</script>&amp;'
    tickets({"created_at": datetime.now(UTC) - timedelta(hours=1),
             "category": Category.objects.create(name=name)})
    page = desk.get(URL).content.decode()
    assert "<script>alert" not in page
    # Each chart is well-formed XML on its own, with the name in it as text.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    drawings = [etree.fromstring(svg.encode(), parser) for svg in re.findall(r"<svg .*?</svg>", page, re.S)]
    assert len(drawings) == 6
    namespace = {"svg": "http://www.w3.org/2000/svg"}
    categories = next(d for d in drawings if d.get("aria-labelledby").startswith("chart-categories"))
    assert categories.xpath("//svg:rect/svg:title/text()", namespaces=namespace) == [f"{name}: 1"]
    assert categories.xpath("//svg:desc/text()", namespaces=namespace)[0].endswith(f"{name} 1.")
    assert not categories.xpath("//svg:script", namespaces=namespace)
    table = html.fromstring(page).xpath("//section[@id='categories']//table//th[@scope='row']/text()")
    assert table == [name]
