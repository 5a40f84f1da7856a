"""Signed SOAP requests for tests, sent over real HTTP or Django's test client."""

from __future__ import annotations

import requests

from extdesk.soap import signature

CONTENT_TYPE = "text/xml; charset=utf-8"


def signed_headers(secret: str, body: bytes, **kwargs) -> dict[str, str]:
    return {
        "Content-Type": CONTENT_TYPE,
        signature.HEADER_NAME: signature.sign(secret, body, **kwargs),
    }


def post(url: str, secret: str, body: bytes, **kwargs) -> requests.Response:
    return requests.post(url, data=body, headers=signed_headers(secret, body, **kwargs), timeout=60)
