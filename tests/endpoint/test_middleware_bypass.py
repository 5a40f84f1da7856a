"""The SOAP endpoint is answered ahead of the session/auth/CSRF middleware."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/soap", "/soap/"])
def test_soap_answers_carry_the_security_headers_and_no_cookie(soap, path):
    answer = soap.client.get(f"{path}?wsdl")
    assert answer.status_code == 200
    assert answer["X-Frame-Options"] == "DENY"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert not answer.cookies
    assert "Cookie" not in answer.get("Vary", "")


@pytest.mark.django_db
def test_other_pages_still_pass_through_the_whole_middleware():
    answer = Client(HTTP_HOST="127.0.0.1").get("/desk/login/")
    assert answer.status_code == 200
    assert "csrftoken" in answer.cookies
