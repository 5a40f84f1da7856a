"""The desk's article-link picker, beside the reply box on the ticket page.

Without JavaScript the picker's buttons post the reply form as it stands to ``link_insert``,
which draws the ticket page again with the found articles listed, or with the chosen one's
title and address added to the draft. With JavaScript (kb/link_picker.js) the list comes from
``link_search`` as the agent types and the link goes in at the cursor.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from extdesk.desk.access import StaffRequest, staff_required

# The ticket page's drawing and its ticket lookup: the page this view draws is that page.
from extdesk.desk.views import _ticket_or_404, added_to_draft, posted_reply, ticket_with_draft
from extdesk.security.limits import accepts_uploads

from . import link_picker


@never_cache
@staff_required
@require_GET
def link_search(request: StaffRequest) -> JsonResponse:
    """The published articles whose title contains ``q``, with the text to insert, for the script."""
    search = link_picker.clean_search(request.GET.get("q"))
    articles = link_picker.published_articles(search)[:link_picker.PICKER_SIZE]
    return JsonResponse({"articles": [
        {"id": article.pk, "title": article.title, "language": article.language,
         "visibility": article.get_visibility_display(), "text": link_picker.link_text(article)}
        for article in articles
    ]})


@accepts_uploads
@never_cache
@staff_required
@require_POST
def link_insert(request: StaffRequest, number: int) -> HttpResponse:
    """The ticket page again, the draft as posted; "insert" adds the chosen article's title and
    address at the end of the draft, "find" lists the articles whose title contains ``kb_q``."""
    ticket = _ticket_or_404(number)
    draft = request.POST.get("body", "")
    if request.POST.get("kb_action") == "insert":
        article = link_picker.chosen_article(request.POST.get("kb_article", ""))
        if article is None:
            messages.error(request, _("Choose one of the published articles to insert its link."))
        else:
            draft = added_to_draft(draft, link_picker.link_text(article))
    return ticket_with_draft(request, ticket, posted_reply(request), draft)
