"""Every page at phone widths and on a laptop, in English and in German (Debian chromium, Playwright).

One live server, one browser: a customer pushed by the platform and signed in
through init_session, a visitor without a session and a staff member made
with `extdesk createstaff --superuser` walk the portal, the knowledge base,
the rating pages, the error pages and the desk. Each page is loaded once and
then drawn at 360, 390 and 414 px and at 1366 px: nothing may scroll sideways
(``document.documentElement.scrollWidth <= innerWidth``); a failure names the
page, the width and the element that sticks out. On a 360 px phone the desk's
header keeps its links on one row and stays under DESK_HEADER_MOST. Last, the
database made unreachable for a moment, the 503 page. Full-page screenshots go
to test-artifacts/ as <page>-<width>-<language>.jpeg.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, soap
from tests.e2e.test_desk_browser import PASSWORD, run_cli
from tests.support.server import live_server_any_db

pytestmark = pytest.mark.slow

WIDTHS = (360, 390, 414, 1366)
HEIGHT = 800
# The desk's header at 360 px: the brand (here a wide logo beside a name on two lines and "Staff
# desk"), the user, the language and one row of links. Its nine links wrapped on four rows made it
# some 300 px, well over a third of the screen above every desk page.
PHONE = 360
DESK_HEADER_MOST = 190
PERSON = {"id": 7301, "email": "wanda.width@acme.example", "first_name": "Wanda",
          "last_name": "Widthington-Featherstonehaugh", "accounts": "acme-hosting"}
OTHER = {"id": 7302, "email": "otto@other.example", "first_name": "Otto", "last_name": "Other",
         "accounts": "other-hosting"}
LONG_URL = ("https://control.example.com/customer/domains/dns/records/edit?zone=shop-of-wanda.example"
            "&record=_acme-challenge.www.shop-of-wanda.example&token=" + "a1b2c3d4e5" * 12)
LONG_WORD = "Supercalifragilisticexpialidocious" * 4
BODY = f"""Hello,

since this morning the shop answers with an error. The log says:

```
2026-12-01T09:12:44.123Z ERROR [payment] POST /cart/checkout -> 500 {"(upstream: php-fpm) " * 5}
    at Payment\\Gateway->charge(/var/www/shop/vendor/payment/gateway/src/Gateway.php:412)
```

The page I open is {LONG_URL}

And a word without a break: {LONG_WORD}
"""
KB_BODY = f"""Set the records below, then wait for the change to spread.

| Name | Type | Value | TTL |
|------|------|-------|-----|
| _acme-challenge.www.shop-of-wanda.example | TXT | {"x9y8z7w6v5" * 8} | 3600 |

```
dig +short TXT _acme-challenge.www.shop-of-wanda.example @ns1.provider.example {"# a long comment " * 6}
```

More: {LONG_URL}
"""

SEED = f"""
import io, json
from PIL import Image
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from extdesk.contacts.models import Contact
from extdesk.helpdesk import services
from extdesk.helpdesk.models import Status, Ticket
from extdesk.kb import services as kb
from extdesk.mail import services as mail
from extdesk.ratings import links
from extdesk.ratings.models import Resolution
from extdesk.helpdesk.models import CannedReply
staff = User.objects.get(username="sam")
contact = Contact.objects.get(platform_id={PERSON["id"]})
other = Contact.objects.get(platform_id={OTHER["id"]})
png = io.BytesIO()
Image.new("RGB", (1600, 900), (36, 82, 199)).save(png, "PNG")
files = [SimpleUploadedFile("screenshot-of-the-checkout-page-at-09-12.png", png.getvalue(), "image/png"),
         SimpleUploadedFile("{"checkout-log-" * 6}.txt", b"ERROR 500\\n", "text/plain")]
long = services.create_ticket(contact=contact, subject="Checkout fails with an error 500 since this morning, "
                              "{LONG_WORD[:60]}", body={BODY!r}, attachments=files)
services.reply(long, author=staff, body="We are looking at it. Which payment module do you use?\\n"
               "See {LONG_URL}")
services.reply(long, author=staff, body="Internal: php-fpm pool is at its limit.", internal=True)
services.reply(long, author=contact, body="The one from the shop, version 4.2.\\n    indented line kept")
solved = services.create_ticket(contact=contact, subject="Mailbox full", body="My mailbox is full.")
services.reply(solved, author=staff, body="We raised the quota to 10 GB.", then_status=Status.RESOLVED)
resolution = Resolution.objects.get(ticket=solved)
theirs = services.create_ticket(contact=other, subject="Not yours", body="Another customer's ticket.")
for n in range(3):
    services.create_ticket(contact=contact, subject=f"DNS zone {{n}} not updated", body="Nothing changes.")
from django.utils import timezone
CannedReply.objects.create(title="Greeting with a rather long name for the list", owner=staff,
                           body="Hello {{{{ contact.first_name }}}},\\n" + {LONG_URL!r},
                           created_at=timezone.now(), updated_at=timezone.now())
held = mail.receive(b"From: Spammer <spam@spam.example>\\r\\nTo: help@provider.example\\r\\n"
                    b"Subject: Cheap {LONG_WORD[:40]}\\r\\nX-Spam-Flag: YES\\r\\n"
                    b"Message-ID: <held-1@spam.example>\\r\\n"
                    b"\\r\\nBuy now: {LONG_URL}\\r\\n", source="pipe")
category = kb.create_category("Domains and DNS records")
article = kb.create_article(by=staff, title="Setting DNS records for certificates", body={KB_BODY!r},
                            category=category.pk)
kb.update_article(article, by=staff, title=article.title, body={KB_BODY!r} + "\\nUpdated: TTL 300 works too.",
                  category=category.pk, slug=article.slug, visibility=article.visibility, language="en")
kb.set_state(article, "published")
print(json.dumps({{"long": long.pk, "solved": solved.pk, "theirs": theirs.pk, "held": held.inbound_id,
                  "rating": links.url(resolution, "good"), "article": article.pk, "slug": article.slug,
                  "category": category.slug, "canned": CannedReply.objects.get().pk}}))
"""

# The element that sticks out furthest to the right, skipping what sits in a container that scrolls or
# clips it (its overflow does not widen the page): tag, classes, its right edge and a bit of its markup.
WIDEST = """() => {
  const limit = window.innerWidth;
  const scrolls = el => {
    for (let up = el; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  let worst = null;
  const consider = (el, box, what, inside) => {
    if (box.right <= limit + 0.5 || box.width === 0 || scrolls(inside)) return;
    if (!worst || box.right > worst.right + 0.5 ||
        (Math.abs(box.right - worst.right) <= 0.5 && worst.el.contains(el) && worst.el !== el))
      worst = {el, right: box.right, what};
  };
  for (const el of document.querySelectorAll('body *'))
    consider(el, el.getBoundingClientRect(), '', el.parentElement);
  // Text that runs out of its box (a long word) widens the page while its element stays narrow.
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let node = texts.nextNode(); node; node = texts.nextNode()) {
    if (!node.textContent.trim()) continue;
    range.selectNodeContents(node);
    consider(node.parentElement, range.getBoundingClientRect(), ' (its text)', node.parentElement);
  }
  if (!worst) return 'no single element found';
  const el = worst.el;
  const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    [...el.classList].map(c => '.' + c).join('');
  return `${name}${worst.what} reaches ${Math.round(worst.right)} px: ` +
    el.outerHTML.replace(/\\s+/g, ' ').slice(0, 120);
}"""


# A card that hides what is wider than itself (overflow: hidden, for its rounded corners) cuts content
# off instead of widening the page: just as wrong on a phone, and invisible to scrollWidth.
CLIPPED = """() => {
  const found = [];
  // Not the form fields: a long value scrolls inside its box, as it should.
  for (const el of document.querySelectorAll('body *:not(input, textarea, select)')) {
    const style = getComputedStyle(el);
    if (!['hidden', 'clip'].includes(style.overflowX) || style.textOverflow === 'ellipsis') continue;
    if (el.clientWidth <= 1 || el.scrollWidth <= el.clientWidth + 1) continue;
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      [...el.classList].map(c => '.' + c).join('');
    found.push(`${name} cuts off ${el.scrollWidth - el.clientWidth} px`);
  }
  return found;
}"""


# On a desk page (body.desk): the header's height, and on how many rows its navigation's links lie.
DESK_HEADER = """() => {
  if (!document.body.classList.contains('desk')) return null;
  const tops = new Set([...document.querySelectorAll('.main-nav a')].map(a => a.offsetTop));
  return {height: document.querySelector('.site-header').getBoundingClientRect().height, rows: tops.size};
}"""


@dataclass
class Walk:
    """The pages visited, and every page that scrolled sideways or cut off (all reported at the end)."""

    visited: list[str] = field(default_factory=list)
    too_wide: list[str] = field(default_factory=list)
    wrong_language: list[str] = field(default_factory=list)
    tall_header: list[str] = field(default_factory=list)

    async def check(self, page, name: str, lang: str) -> None:
        """``page`` as it is now, at every width: a screenshot each, and what sticks out noted."""
        # The page says which language it is in: the browser's (LocaleMiddleware, Accept-Language).
        if (said := await page.evaluate("document.documentElement.lang")) != lang:
            self.wrong_language.append(f"{name} ({lang}): <html lang={said!r}>")
        for width in WIDTHS:
            await page.set_viewport_size({"width": width, "height": HEIGHT})
            scroll_width, inner = await page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]")
            if scroll_width > inner:
                self.too_wide.append(f"{name} at {width} px ({lang}): {scroll_width} px wide; "
                                     f"{await page.evaluate(WIDEST)}")
            self.too_wide.extend(f"{name} at {width} px ({lang}): {clipped}"
                                 for clipped in await page.evaluate(CLIPPED))
            if width == PHONE and (header := await page.evaluate(DESK_HEADER)) and (
                    header["height"] > DESK_HEADER_MOST or header["rows"] > 1):
                self.tall_header.append(f"{name} ({lang}): the header is {header['height']:.0f} px, "
                                        f"its links on {header['rows']} rows")
            # JPEG: about half the time of PNG for a full page, and the walk takes some 450.
            await page.screenshot(path=str(ARTIFACTS / f"{name}-{width}-{lang}.jpeg"), full_page=True,
                                  type="jpeg", quality=70)
        self.visited.append(f"{name}-{lang}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The server with a provider's branding and control panel: the header's fullest."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("live")
    logo = folder / "logo.png"
    Image.new("RGB", (480, 96), (20, 108, 67)).save(logo)  # wide, as a name in letters is
    with live_server_any_db(folder, extra_env={
        "EXTDESK_PLATFORM_URL": "https://panel.acme-hosting.example/",
        "EXTDESK_BRAND_NAME": "Acme Hosting Customer Care",
        "EXTDESK_BRAND_LOGO": str(logo),
        "EXTDESK_ACCENT_COLOR": "#146c43",
    }) as running:
        yield running


@pytest.fixture(scope="module")
def seeded(server) -> dict:
    assert soap(server, "alter_contacts", ("contacts", [PERSON, OTHER])) == 2
    run_cli(server, "createstaff", "sam", "--superuser", "--name", "Samantha Supportington",
            "--password-stdin", stdin=f"{PASSWORD}\n")
    return json.loads(run_cli(server, "manage", "shell", "--no-imports", "-c", SEED).splitlines()[-1])


def init_session(server, act: str) -> str:
    url = soap(server, "init_session", ("id", PERSON["id"]), ("ip", "127.0.0.1"), ("act", act))
    assert url.startswith(f"{server.base_url}/sso/")
    return url


async def new_page(browser, lang: str):
    # The browser's language as a German or English customer's would be: Accept-Language follows it.
    context = await browser.new_context(viewport={"width": WIDTHS[-1], "height": HEIGHT},
                                        locale="de-DE" if lang == "de" else "en-US")
    return context, await context.new_page()


async def visit(page, url: str, status: int | tuple[int, ...] = 200) -> None:
    """Open ``url``; the page must answer ``status`` (the walk must see the page it names)."""
    response = await page.goto(url)
    assert response is not None
    wanted = status if isinstance(status, tuple) else (status,)
    assert response.status in wanted, f"{url} answered {response.status}, not {status}"


async def submitted(page, button, status: int) -> None:
    """Click ``button``; the page it posts to must answer ``status``."""
    async with page.expect_navigation() as navigation:
        await button.click()
    response = await navigation.value
    assert response is not None and response.status == status, f"{page.url}: {response and response.status}"


async def walk_customer(walk: Walk, browser, server, data: dict, lang: str) -> str:
    """The signed-in customer's pages; returns the login link used, for the error walk."""
    base = server.base_url
    context, page = await new_page(browser, lang)
    link = init_session(server, "list")
    await visit(page, link)
    assert page.url == f"{base}/tickets/"
    await walk.check(page, "portal-ticket-list", lang)
    await visit(page, f"{base}/tickets/{data['long']}/")
    await walk.check(page, "portal-ticket-long", lang)
    await visit(page, f"{base}/tickets/{data['solved']}/")
    await walk.check(page, "portal-ticket-rating", lang)
    # A choice the form does not offer: the rating form again, refused.
    choice = page.locator("#rating button[name=choice]").first
    await choice.evaluate("button => { button.value = 'meh'; }")
    await submitted(page, choice, 400)
    await walk.check(page, "portal-rating-refused", lang)
    await visit(page, f"{base}/tickets/new/")
    await walk.check(page, "portal-new-ticket", lang)
    await submitted(page, page.locator("main form button[type=submit]").last, 400)  # nothing filled in
    await walk.check(page, "portal-new-ticket-refused", lang)
    for name, path, status in [
        ("kb-home", "/kb/", 200), ("kb-category", f"/kb/category/{data['category']}/", 200),
        ("kb-article", f"/kb/{data['slug']}/", 200), ("kb-search", "/kb/search/?q=records", 200),
        ("kb-search-nothing", f"/kb/search/?q={'nothing' * 12}", 200),
        ("rating-link", data["rating"].removeprefix(base), 200),
        ("error-404-missing-ticket", "/tickets/999999/", 404),
        ("error-404-their-ticket", f"/tickets/{data['theirs']}/", 404),
        ("error-404-no-such-page", "/tickets/typo/", 404),
    ]:
        await visit(page, f"{base}{path}", status)
        await walk.check(page, name, lang)
    await visit(page, f"{base}/tickets/")
    await submitted(page, page.locator(".header-user button"), 200)
    await walk.check(page, "portal-signed-out", lang)
    await context.close()
    return link


async def walk_visitor(walk: Walk, browser, server, data: dict, lang: str, used_link: str) -> None:
    """Without a session: the welcome page, the refusals and the error pages."""
    base = server.base_url
    context, page = await new_page(browser, lang)
    for name, url, status in [
        ("welcome", f"{base}/", 200), ("kb-article-visitor", f"{base}/kb/{data['slug']}/", 200),
        ("error-403-no-session", f"{base}/tickets/", 403),
        # A mailed link to a ticket, opened without a session.
        ("error-403-no-session-ticket", f"{base}/tickets/{data['long']}/", 403),
        ("error-404-no-article", f"{base}/kb/no-such-article/", 404),
        ("error-400-rating-link-broken", f"{base}/rate/{data['solved']}/not-a-token/", 400),
        # Used (by the customer's walk) or never made: refused, whatever the link says.
        ("error-used-login-link", used_link, (403, 410)),
        ("error-unknown-login-link", f"{base}/sso/not-a-token", (403, 404, 410)),
    ]:
        await visit(page, url, status)
        await walk.check(page, name, lang)
    await context.close()


async def walk_desk(walk: Walk, browser, server, data: dict, lang: str) -> None:
    base = server.base_url
    context, page = await new_page(browser, lang)
    await visit(page, f"{base}/desk/login/")
    await walk.check(page, "desk-login", lang)
    await page.locator("#id_username").fill("sam")
    await page.locator("#id_password").fill("not the password")
    await submitted(page, page.locator("main form button[type=submit]").first, 400)
    await walk.check(page, "desk-login-refused", lang)
    await page.locator("#id_password").fill(PASSWORD)
    await submitted(page, page.locator("main form button[type=submit]").first, 200)
    assert page.url == f"{base}/desk/"
    await walk.check(page, "desk-queue-needs-attention", lang)
    long, solved, article = data["long"], data["solved"], data["article"]
    for name, path, status in [
        ("desk-queue-all", "/desk/?status=all", 200),
        ("desk-queue-search", "/desk/?status=all&q=checkout", 200),
        ("desk-ticket-long", f"/desk/tickets/{long}/", 200),
        ("desk-ticket-solved", f"/desk/tickets/{solved}/", 200),
        ("desk-merge-confirm", f"/desk/tickets/{solved}/merge/?into={long}", 200),
        ("desk-merge-refused", f"/desk/tickets/{solved}/merge/?into={data['theirs']}", (200, 400)),
        ("desk-canned-list", "/desk/canned/", 200), ("desk-canned-new", "/desk/canned/new/", 200),
        ("desk-canned-edit", f"/desk/canned/{data['canned']}/edit/", 200),
        ("desk-canned-delete", f"/desk/canned/{data['canned']}/delete/", 200),
        ("desk-held-mail", "/desk/mail/held/", 200),
        ("desk-inbound-mail", f"/desk/mail/{data['held']}/", 200),
        ("desk-sla", "/desk/sla/", 200),
        ("desk-kb-list", "/desk/kb/", 200), ("desk-kb-new", "/desk/kb/new/", 200),
        ("desk-kb-categories", "/desk/kb/categories/", 200), ("desk-kb-edit", f"/desk/kb/{article}/", 200),
        ("desk-kb-revisions", f"/desk/kb/{article}/revisions/", 200),
        ("desk-kb-revision-diff", f"/desk/kb/{article}/revisions/1/", 200),
        ("desk-kb-delete", f"/desk/kb/{article}/delete/", 200),
        ("desk-profile", "/desk/profile/", 200),
        ("desk-error-404-missing-ticket", "/desk/tickets/999999/", 404),
        ("desk-error-404-no-such-page", "/desk/typo/", 404),
    ]:
        await visit(page, f"{base}{path}", status)
        await walk.check(page, name, lang)
    # The article's preview beside its editor (drawn by the server, nothing saved).
    await visit(page, f"{base}/desk/kb/{article}/")
    await submitted(page, page.locator("button[name=preview]"), 200)
    await walk.check(page, "desk-kb-preview", lang)
    # The reports with their tables per day opened below the charts.
    await visit(page, f"{base}/desk/reports/")
    for summary in await page.locator("main details > summary").all():
        await summary.click()
    await walk.check(page, "desk-reports", lang)
    # Every matching ticket at once: the bulk change asks to confirm first.
    await visit(page, f"{base}/desk/?status=all")
    await page.locator("input[name=scope][value=matching]").check()
    await page.locator("#bulk-priority").select_option(index=1)
    await submitted(page, page.locator("button[name=action][value=priority]"), 200)
    await walk.check(page, "desk-bulk-confirm", lang)
    await context.close()


async def walk_throttled(walk: Walk, browser, server, data: dict, lang: str) -> None:
    """Too many ratings from one address (429): sent until refused, then one more from the form."""
    context, page = await new_page(browser, lang)
    await visit(page, data["rating"])
    token = await page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    broken = f"{server.base_url}/rate/{data['solved']}/not-a-token/"
    for _ in range(30):  # the limit is 20 an hour (ratings.services.THROTTLE_LIMIT); refused ones count
        if (await context.request.post(broken, form={"csrfmiddlewaretoken": token})).status == 429:
            break
    await submitted(page, page.locator("main form button[type=submit]").first, 429)
    await walk.check(page, "error-429-ratings", lang)
    await context.close()


@contextmanager
def database_unreachable(server) -> Iterator[None]:
    """The server's database out of reach while inside: every request that needs it fails.

    PostgreSQL refuses new connections and drops the server's (it reconnects on the next request);
    SQLite's file is held under a write lock, so a request that writes fails after the busy timeout.
    """
    url = server.env.get("EXTDESK_DATABASE_URL")
    if url:
        import psycopg

        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            try:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                              [name])
                yield
            finally:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        return
    lock = sqlite3.connect(server.data_dir / "extdesk.sqlite3", isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        yield
    finally:
        lock.execute("ROLLBACK")
        lock.close()


async def walk_outage(walk: Walk, browser, server, data: dict, lang: str) -> None:
    """An article read while the database is out of reach (its view is counted, a write): the 503 page."""
    context, page = await new_page(browser, lang)
    # Beyond SQLite's busy timeout (30 s), which the request waits out before it gives up.
    page.set_default_navigation_timeout(90_000)
    await visit(page, f"{server.base_url}/kb/{data['slug']}/", 503)
    await walk.check(page, "error-503-database-unreachable", lang)
    await context.close()


async def walk_everything(server, data: dict) -> Walk:
    """Four walks side by side in one browser, each in pages of its own: none waits for another."""
    from playwright.async_api import async_playwright

    walk = Walk()

    async def customer_then_visitor(browser, lang: str) -> None:
        used_link = await walk_customer(walk, browser, server, data, lang)
        await walk_visitor(walk, browser, server, data, lang, used_link)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                   args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(walker for lang in ("en", "de") for walker in (
                customer_then_visitor(browser, lang), walk_desk(walk, browser, server, data, lang))))
            # Last: the throttle, once set off, refuses every rating from this address for the hour.
            for lang in ("en", "de"):
                await walk_throttled(walk, browser, server, data, lang)
            # Both languages at once: on SQLite each request waits out the busy timeout (30 s).
            with database_unreachable(server):
                await asyncio.gather(*(walk_outage(walk, browser, server, data, lang)
                                       for lang in ("en", "de")))
        finally:
            await browser.close()
    return walk


def test_no_page_scrolls_sideways(server, seeded):
    ARTIFACTS.mkdir(exist_ok=True)
    walk = asyncio.run(walk_everything(server, seeded))
    assert not walk.too_wide, "pages wider than the screen, or cut off:\n" + "\n".join(walk.too_wide)
    assert not walk.wrong_language, "\n".join(walk.wrong_language)
    assert not walk.tall_header, "desk headers too tall on a phone:\n" + "\n".join(walk.tall_header)
    assert len(walk.visited) == len(set(walk.visited)) == 2 * 55, walk.visited
