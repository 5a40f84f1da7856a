"""``{% zone_caption %}``: the line naming the zone a page's times are in, and what reports the browser's."""

from __future__ import annotations

from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def zone_caption(context: dict[str, Any]) -> SafeString:
    """"Times are in Europe/Berlin." and, for a signed-in reader, the script that reports their zone."""
    zone = timezone.get_current_timezone_name()
    caption = _("Times are in %(zone)s.") % {"zone": zone}
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return format_html('<p class="time-zone-note muted small">{}</p>', caption)
    return format_html(
        '<p class="time-zone-note muted small" data-time-zone="{}" data-time-zone-url="{}" '
        'data-csrf-token="{}">{}</p>\n<script src="{}" defer></script>',
        zone, reverse("web:time_zone"), get_token(request), caption, static("extdesk/timezone.js"),
    )
