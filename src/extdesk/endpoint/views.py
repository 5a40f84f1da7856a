"""The SOAP endpoint as a Django view: the WSDL, and POSTs served by calls.py."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from extdesk.security.limits import reads_own_body
from extdesk.soap.exceptions import ClientFault
from extdesk.soap.wsdl import render_wsdl

from .calls import XML_CONTENT_TYPE, Answer, answer_post, fault_answer
from .operations import served_operations


def http_response(answer: Answer) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.status, content_type=XML_CONTENT_TYPE)
    if answer.retry_after is not None:
        response["Retry-After"] = str(answer.retry_after)
    return response


@reads_own_body("EXTDESK_MAX_BODY_BYTES")
@csrf_exempt
def soap_endpoint(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and request.META.get("QUERY_STRING", "").lower() == "wsdl":
        location = f"{settings.EXTDESK_BASE_URL}/soap/"
        return HttpResponse(
            render_wsdl(location, operations=served_operations()),
            content_type=XML_CONTENT_TYPE,
        )
    if request.method != "POST":
        response = http_response(fault_answer(
            ClientFault(f"{request.method} is not supported here: POST a SOAP envelope, "
                        "or GET ?wsdl for the service description")
        ))
        response.status_code = 405
        response["Allow"] = "GET, POST"
        return response
    return http_response(answer_post(request.META, request))
