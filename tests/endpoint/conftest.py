from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client

from extdesk.soap.envelope import decode_response, encode_call
from extdesk.soap.exceptions import FaultReceived
from extdesk.soap.protocol import DEFAULT_NAMESPACE
from tests.support.signing import signed_headers


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes

    @property
    def value(self):
        return decode_response(self.body)

    @property
    def fault(self) -> FaultReceived:
        try:
            decode_response(self.body)
        except FaultReceived as fault:
            return fault
        raise AssertionError(f"expected a fault, got {self.body[:300]!r}")


class Soap:
    """Signed SOAP calls through Django's full request handling."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def post(self, body: bytes, *, path: str = "/soap/", headers: dict | None = None,
             secret: str | None = None, **sign_kwargs) -> Answer:
        if headers is None:
            headers = signed_headers(secret or settings.EXTDESK_SECRET, body, **sign_kwargs)
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()
                if k.lower() != "content-type"}
        response = self.client.post(path, data=body, content_type="text/xml; charset=utf-8", **meta)
        return Answer(response.status_code, response["Content-Type"], response.content)

    def call(self, method: str, *params, **kwargs) -> Answer:
        named = [(f"c-gensym{i}", value) for i, value in enumerate(params)]
        return self.post(encode_call(DEFAULT_NAMESPACE, method, named), **kwargs)


@pytest.fixture
def soap(db, client) -> Soap:
    return Soap(client)
