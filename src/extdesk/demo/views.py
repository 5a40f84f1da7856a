"""/platform/: the demo's stand-in for the control panel, calling this helpdesk like a platform does."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from extdesk.client.helpdesk import HelpdeskClient
from extdesk.contacts.models import Contact
from extdesk.web.addresses import request_address


def persons(request: HttpRequest) -> HttpResponse:
    contacts = Contact.objects.filter(platform_id__isnull=False).prefetch_related("accounts") \
        .order_by("platform_id")
    return render(request, "demo/platform.html", {"contacts": contacts})


@require_POST
def open_helpdesk(request: HttpRequest, platform_id: int, act: str) -> HttpResponse:
    if act not in ("add", "list"):
        raise Http404
    # Over HTTP, signed, through the platform's own client: exactly what a platform does.
    with HelpdeskClient(f"{settings.EXTDESK_BASE_URL}/soap/", settings.EXTDESK_SECRET, retries=0) as client:
        url = client.init_session(platform_id, request_address(request.META), act)
    return redirect(url)
