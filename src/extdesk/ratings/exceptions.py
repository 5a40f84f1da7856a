"""What the ratings refuse, and why: each message is for the person on the page."""

from __future__ import annotations


class RatingRefused(Exception):
    """Nothing can be rated here: a bad or expired link, a reopened ticket, a closed window.

    ``status`` is the HTTP status the page answers with.
    """

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Throttled(Exception):
    """Too many submissions from one address; ``retry_after`` seconds until the next is taken."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many ratings from this address; retry in {retry_after} s")
        self.retry_after = retry_after
