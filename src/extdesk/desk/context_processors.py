"""What every page in the desk's layout shows, whichever view drew it (error pages included)."""

from __future__ import annotations

import functools

from django.http import HttpRequest

from extdesk.mail import selectors as mail_selectors


def desk(request: HttpRequest) -> dict[str, object]:
    """``held_count``: the mail waiting on the held list, for the desk's navigation.

    A callable the template calls when the desk's header reads it (only for a desk user), at most
    once a page: other pages cost no query.
    """
    return {"held_count": functools.cache(mail_selectors.held_count)}
