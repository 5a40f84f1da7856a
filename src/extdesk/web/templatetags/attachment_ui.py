"""``{% attachment_item file %}``: an attachment in a message, as a thumbnail when it is an image."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from extdesk.helpdesk.models import Attachment
from extdesk.helpdesk.services import format_size
from extdesk.helpdesk.thumbnails import thumbnail_of

register = template.Library()

# The paper clip the attachment lists have always shown.
_CLIP = (
    '<svg class="icon" aria-hidden="true" viewBox="0 0 24 24" width="14" height="14">'
    '<path d="M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l9.2-9.2a3.7 3.7 0 0 1 5.2 5.2l-9.2 9.2'
    'a1.8 1.8 0 0 1-2.6-2.6l8.5-8.5" fill="none" stroke="currentColor" stroke-width="2" '
    'stroke-linecap="round" stroke-linejoin="round"/></svg>'
)


@register.simple_tag
def attachment_item(file: Attachment) -> SafeString:
    """The ``<li>`` of an attachment list: a download link, with the image's thumbnail when there is one.

    Both go through the permission-checked views (``portal:attachment``,
    ``portal:thumbnail``), for customers and staff alike.
    """
    download = reverse("portal:attachment", args=[file.pk, file.original_name])
    # The name in a span of its own: a flex item that may shrink, so a long file name wraps
    # instead of widening the page.
    label = format_html('<span class="attachment-name">{} <span class="muted">({})</span></span>',
                        file.original_name, format_size(file.size))
    thumbnail = thumbnail_of(file)
    if thumbnail is None:
        return format_html('<li><a href="{}" download>{} {}</a></li>', download, SafeString(_CLIP), label)
    return format_html(
        '<li class="attachment-image"><a href="{}" download>'
        '<img class="thumbnail" src="{}" width="{}" height="{}" alt="{}" loading="lazy">{}</a></li>',
        download, reverse("portal:thumbnail", args=[file.pk]), thumbnail.width, thumbnail.height,
        _("Preview of %(name)s") % {"name": file.original_name}, label,
    )
