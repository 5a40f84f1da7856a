"""Signed SOAP calls against a live server, for the reliability tests."""

from __future__ import annotations

import requests

from extdesk.soap.envelope import decode_response, encode_call
from extdesk.soap.protocol import DEFAULT_NAMESPACE
from tests.support.signing import signed_headers


def call(url: str, secret: str, method: str, *params, session: requests.Session | None = None,
         timeout: float = 120, verify: bool | str = True) -> requests.Response:
    body = encode_call(DEFAULT_NAMESPACE, method, [(f"c-gensym{i}", p) for i, p in enumerate(params)])
    sender = session or requests
    return sender.post(url, data=body, headers=signed_headers(secret, body), timeout=timeout,
                       verify=verify)


def value(url: str, secret: str, method: str, *params, **kwargs):
    """The call's result; raises on an HTTP error or a fault."""
    response = call(url, secret, method, *params, **kwargs)
    assert response.status_code == 200, response.text[:2000]
    return decode_response(response.content)


def contact(platform_id: int, version: str = "v0", **fields) -> dict:
    record = {"id": platform_id, "email": f"person{platform_id}@example.com",
              "first_name": version, "last_name": f"L{platform_id}", "accounts": f"acct{platform_id % 7}"}
    record.update(fields)
    return record
