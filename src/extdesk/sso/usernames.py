"""The user names of customers' logins, which nobody else may take.

A customer's user is found through its contact's link alone, never by its
name; the names are still kept apart so that no staff account can pass for
a customer's login (or the other way round) in a list of users.
"""

from __future__ import annotations

import unicodedata

CUSTOMER_PREFIX = "contact-"

RESERVED_MESSAGE = (
    f"User names starting with “{CUSTOMER_PREFIX}” are reserved for customer logins; "
    "choose another name."
)


def customer_username(platform_id: int) -> str:
    """The name the one-time login gives a contact's user when it is free."""
    return f"{CUSTOMER_PREFIX}{platform_id}"


def is_reserved_username(username: str) -> bool:
    """True for a name in the customers' range, in any case or Unicode spelling."""
    # NFKC as Django's forms normalise user names, so a full-width "c" is caught too.
    folded = unicodedata.normalize("NFKC", username).casefold()
    return folded.startswith(CUSTOMER_PREFIX)
