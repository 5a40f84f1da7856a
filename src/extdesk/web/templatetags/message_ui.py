"""``{{ message.body|message_html }}``: a message body as the portal and the desk show it."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from extdesk.web.message_text import render_message

register = template.Library()


@register.filter
def message_html(body: str | None) -> SafeString:
    # Safe because render_message escapes every character of the body
    # before it adds its own tags (extdesk.web.message_text).
    return mark_safe(render_message(str(body or "")))
