"""The knowledge base in a real browser (Debian chromium, Playwright) against `extdesk serve`.

An agent adds a category, writes an article in Markdown, previews it and publishes it; a visitor
without a session finds it from /kb/ by searching a word written without its accent, reads it
rendered (its script shown as text, nothing blocked by the Content-Security-Policy) and answers
"Was this helpful?" without JavaScript; the agent sees the vote counted. Screenshots go to
test-artifacts/.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import shot, sign_in_to_desk
from tests.e2e.test_desk_browser import PASSWORD, run_cli

pytestmark = pytest.mark.slow

BODY = """Set up your mail program with these **settings**:

- Incoming: IMAP on port `993`
- Outgoing: SMTP on port `587`

<script>document.title = 'hacked'</script>

See also [the DNS article](kb:dns-records) and [Wikipedia](https://en.wikipedia.org/wiki/IMAP).
"""


def test_write_publish_search_read_and_vote(server, browser):
    from playwright.sync_api import expect

    run_cli(server, "createstaff", "writer", "--name", "Wendy Writer", "--password-stdin",
            stdin=f"{PASSWORD}\n")
    agent_context = browser.new_context(viewport={"width": 1280, "height": 900})
    agent = agent_context.new_page()
    sign_in_to_desk(agent, server, "writer", PASSWORD)

    agent.get_by_role("link", name="Knowledge base").click()
    agent.get_by_role("link", name="Categories").click()
    agent.get_by_label("Name").first.fill("E-mail")
    agent.get_by_role("button", name="Add").click()
    expect(agent.get_by_text("Added the category “E-mail”.")).to_be_visible()

    agent.goto(f"{server.base_url}/desk/kb/new/")
    agent.get_by_label("Title").fill("Mail program settings (Réglages)")
    agent.get_by_label("Body").fill(BODY)
    agent.get_by_role("button", name="Preview").click()
    preview = agent.locator(".kb-preview")
    expect(preview.locator("strong")).to_have_text("settings")
    expect(preview).to_contain_text("<script>")
    agent.get_by_role("button", name="Save").click()
    expect(agent.get_by_text("Saved “Mail program settings (Réglages)” as a draft.")).to_be_visible()
    agent.get_by_role("button", name="Publish").click()
    expect(agent.get_by_text("is published.")).to_be_visible()
    shot(agent, "kb-editor")

    visitor_context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    visitor = visitor_context.new_page()
    blocked: list[str] = []
    visitor.on("console", lambda message: blocked.append(message.text)
               if "Content Security Policy" in message.text else None)
    visitor.goto(f"{server.base_url}/kb/")
    expect(visitor.get_by_role("heading", name="Knowledge base")).to_be_visible()
    expect(visitor.get_by_role("link", name="Mail program settings (Réglages)").first).to_be_visible()
    visitor.get_by_label("Search the knowledge base").fill("reglages")
    visitor.get_by_role("button", name="Search").click()
    expect(visitor.locator(".kb-results")).to_contain_text("Mail program settings (Réglages)")
    visitor.get_by_label("Search the knowledge base").fill("smtp")
    visitor.get_by_role("button", name="Search").click()
    expect(visitor.locator(".kb-results mark").first).to_have_text("SMTP")
    shot(visitor, "kb-search")
    visitor.get_by_role("link", name="Mail program settings (Réglages)").click()
    article = visitor.locator(".kb-body")
    expect(article.locator("li").first).to_contain_text("IMAP on port 993")
    expect(article).to_contain_text("<script>")
    expect(article.get_by_role("link", name="the DNS article")).to_have_attribute("href", "/kb/dns-records/")
    expect(article.get_by_role("link", name="Wikipedia")).to_have_attribute("rel", "nofollow noopener")
    assert visitor.title() != "hacked"

    visitor.get_by_role("button", name="Yes").click()
    expect(visitor.get_by_text("you answered Yes")).to_be_visible()
    visitor.get_by_role("button", name="No").click()
    expect(visitor.get_by_text("you answered No")).to_be_visible()
    shot(visitor, "kb-article")
    assert blocked == []

    agent.goto(f"{server.base_url}/desk/kb/")
    row = agent.locator("tr", has_text="Mail program settings")
    expect(row).to_contain_text("👍 0")
    expect(row).to_contain_text("👎 1")
    visitor_context.close()
    agent_context.close()
