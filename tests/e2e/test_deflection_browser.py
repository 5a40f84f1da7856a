"""Deflection in a real browser (Debian chromium, Playwright) against `extdesk serve`.

An agent publishes an article; a customer arriving on the new-ticket page types a subject, the
form's local script lists the article (nothing refused by the Content-Security-Policy), the
customer opens it in a new tab and leaves without filing; the desk's knowledge-base list counts
the opening. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import (
    PERSON,
    STAFF_PASSWORD,
    create_staff,
    init_session,
    shot,
    sign_in_to_desk,
    soap,
)

pytestmark = pytest.mark.slow

# How the suggestion box is drawn, and the focused article link in it.
LOOK = """box => {
  const style = getComputedStyle(box), link = box.querySelector('a'), linkStyle = getComputedStyle(link);
  const focused = document.activeElement === link ? getComputedStyle(link) : null;
  return {border: style.borderLeftWidth, borderColour: style.borderLeftColor, linkColour: linkStyle.color,
          bullets: getComputedStyle(box.querySelector('ul')).listStyleType,
          fontSize: parseFloat(linkStyle.fontSize), right: box.getBoundingClientRect().right,
          scrollWidth: document.documentElement.scrollWidth,
          outline: focused && [focused.outlineStyle, focused.outlineWidth, focused.outlineColor]};
}"""


def test_a_suggestion_opened_from_the_new_ticket_form_is_counted(server, browser):
    from playwright.sync_api import expect

    assert soap(server, "alter_contacts", ("contacts", [PERSON])) == 1
    create_staff(server)
    agent = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in_to_desk(agent, server, "sam", STAFF_PASSWORD)
    agent.goto(f"{server.base_url}/desk/kb/categories/")
    agent.get_by_label("Name").first.fill("E-mail")
    agent.get_by_role("button", name="Add").click()
    agent.goto(f"{server.base_url}/desk/kb/new/")
    agent.get_by_label("Title").fill("Mail on your phone <b>IMAP</b>")
    agent.get_by_label("Body").fill("Use IMAP on port 993 for your phone's mail program.")
    agent.get_by_role("button", name="Save").click()
    agent.get_by_role("button", name="Publish").click()
    expect(agent.get_by_text("is published.")).to_be_visible()

    customer = browser.new_context(viewport={"width": 1280, "height": 900})
    page = customer.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(init_session(server, "add"))
    expect(page.get_by_role("heading", name="New ticket")).to_be_visible()
    suggestions = page.locator("#kb-suggestions")
    expect(suggestions).to_be_hidden()
    page.get_by_label("Subject").press_sequentially("No mail on my phone", delay=20)
    link = suggestions.get_by_role("link", name="Mail on your phone <b>IMAP</b>")
    expect(link).to_be_visible()  # the title's markup shown as text
    expect(suggestions.locator("b")).to_have_count(0)
    shot(page, "deflection-suggestions")
    # Drawn in the site's style at a phone's width and a laptop's: a box marked in the accent, no
    # bullets, readable, inside the screen; the keyboard reaches the first article with its focus shown.
    page.get_by_label("Subject").focus()
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    for width in (360, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        drawn = suggestions.evaluate(LOOK)
        assert drawn["scrollWidth"] <= width and drawn["right"] <= width - 16, (width, drawn)
        assert drawn["border"] == "4px" and drawn["borderColour"] == drawn["linkColour"], (width, drawn)
        assert drawn["bullets"] == "none" and drawn["fontSize"] >= 14, (width, drawn)
        assert drawn["outline"] == ["solid", "3px", drawn["linkColour"]], (width, drawn)
        shot(page, f"deflection-suggestions-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})
    with customer.expect_page() as opened:
        link.click()
    article = opened.value
    expect(article.get_by_role("heading", name="Mail on your phone <b>IMAP</b>")).to_be_visible()
    expect(page.get_by_label("Subject")).to_have_value("No mail on my phone")  # the form kept
    assert blocked == []

    agent.goto(f"{server.base_url}/desk/kb/")
    figures = agent.locator("#deflection")
    expect(figures.locator('[data-figure="opened"]')).to_have_text("1")
    expect(figures.locator('[data-figure="filed"]')).to_have_text("0")
    expect(figures.get_by_role("link", name="Mail on your phone <b>IMAP</b>")).to_be_visible()
    shot(agent, "deflection-desk")
