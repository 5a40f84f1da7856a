"""The SOAP endpoint: transport concerns only (size, signature, faults)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from extdesk.audit import services as audit
from extdesk.soap import signature
from extdesk.soap.envelope import decode_call
from extdesk.soap.exceptions import (
    AuthenticationFailed,
    BodyTooLarge,
    ClientFault,
    ServerFault,
    SoapFaultError,
)
from extdesk.soap.faults import fault_for
from extdesk.soap.wsdl import render_wsdl
from extdesk.sso.addresses import client_ip

from . import throttle
from .operations import changes_nothing, dispatch, served_operations
from .schema import ensure_schema
from .services import consume_nonce, consume_nonce_with

log = logging.getLogger("extdesk.soap")
XML_CONTENT_TYPE = "text/xml; charset=utf-8"
# Calls that change nothing (greet, list_contacts) are a few hundred bytes.
_DEFER_NONCE_BYTES = 4096


def _fault_response(error: SoapFaultError) -> HttpResponse:
    return HttpResponse(fault_for(error), status=error.http_status, content_type=XML_CONTENT_TYPE)


def _client_address(request: HttpRequest) -> str:
    # Behind the load balancer named in EXTDESK_TRUSTED_PROXIES, the caller is
    # in X-Forwarded-For: the throttle and the audit log must see the caller.
    address = client_ip(request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR"),
                        settings.EXTDESK_TRUSTED_PROXIES)
    return str(address) if address is not None else request.META.get("REMOTE_ADDR", "?")[:64]


@csrf_exempt
def soap_endpoint(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and request.META.get("QUERY_STRING", "").lower() == "wsdl":
        location = f"{settings.EXTDESK_BASE_URL}/soap/"
        return HttpResponse(
            render_wsdl(location, operations=served_operations()),
            content_type=XML_CONTENT_TYPE,
        )
    if request.method != "POST":
        response = _fault_response(
            ClientFault(f"{request.method} is not supported here: POST a SOAP envelope, "
                        "or GET ?wsdl for the service description")
        )
        response.status_code = 405
        response["Allow"] = "GET, POST"
        return response
    note = _CallNote(_client_address(request))
    response = _answer_post(request, note)
    if note.nonce is not None:
        return _settle_nonce(note, response)
    audit.record_soap_call(note.address, note.operation, note.records, response.status_code,
                           response.content)
    return response


@dataclass(slots=True)
class _CallNote:
    """What the audit log is told about a call, filled in as it is served."""

    address: str
    operation: str = ""
    records: int = 0
    # The accepted signature of a call that changed nothing, whose nonce is
    # still to be recorded (in one transaction with its audit entry).
    nonce: signature.SignatureHeader | None = None


def _settle_nonce(note: _CallNote, response: HttpResponse) -> HttpResponse:
    """Record the nonce of a call that changed nothing, with its audit entry.

    A replay of such a call has run, but its answer is thrown away here and
    it is refused as every other replay is.
    """
    header, note.nonce = note.nonce, None
    try:
        accepted = consume_nonce_with(
            header.nonce, header.timestamp, settings.EXTDESK_SIGNATURE_WINDOW,
            lambda: audit.write_soap_call(note.address, note.operation, note.records,
                                          response.status_code, response.content),
        )
    except DatabaseError:
        log.exception("database error while serving %s", note.address)
        response = _fault_response(ServerFault("the helpdesk's database is unavailable; retry later"))
    else:
        if accepted:
            return response
        response = _refuse(note, AuthenticationFailed(
            f"nonce {header.nonce[:6]}... was already used (replay)"))
    audit.record_soap_call(note.address, note.operation, note.records, response.status_code,
                           response.content)
    return response


def _refuse(note: _CallNote, error: AuthenticationFailed) -> HttpResponse:
    log.warning("refused request from %s: %s", note.address, error.reason)
    throttle.record_failure(note.address)
    return _fault_response(error)


def _answer_post(request: HttpRequest, note: _CallNote) -> HttpResponse:
    try:
        return _handle_post(request, note)
    except SoapFaultError as error:
        if isinstance(error, AuthenticationFailed):
            return _refuse(note, error)
        if isinstance(error, throttle.TooManyFailures):
            response = _fault_response(error)
            response["Retry-After"] = str(error.retry_after)
            return response
        if isinstance(error, ClientFault):
            log.info("client fault for %s: %s", note.address, error.message)
        return _fault_response(error)
    except DatabaseError:
        log.exception("database error while serving %s", note.address)
        return _fault_response(ServerFault("the helpdesk's database is unavailable; retry later"))
    except Exception:
        log.exception("internal error while serving %s", note.address)
        return _fault_response(ServerFault("internal error in the helpdesk; see its log"))


def _read_body(request: HttpRequest) -> bytes:
    limit = settings.EXTDESK_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ClientFault("the Content-Length header is not a number") from None
    if declared > limit:
        raise BodyTooLarge(f"the request body ({declared} bytes) exceeds the limit of {limit} bytes")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise BodyTooLarge(f"the request body exceeds the limit of {limit} bytes")
    return body


def _handle_post(request: HttpRequest, note: _CallNote) -> HttpResponse:
    # The tables must exist before the throttle and the nonce store are
    # consulted; on an empty database this is where the installation happens.
    ensure_schema()
    # Before anything costly: a throttled address gets no signature check.
    throttle.check(note.address)
    body = _read_body(request)
    header = signature.verify(
        settings.EXTDESK_SECRET,
        request.META.get(signature.WSGI_HEADER_KEY),
        body,
        window=settings.EXTDESK_SIGNATURE_WINDOW,
    )
    if len(body) > _DEFER_NONCE_BYTES:
        # A large body is not even decoded for a replay.
        _consume(header)
        call = decode_call(body, max_bytes=settings.EXTDESK_MAX_BODY_BYTES)
    else:
        try:
            call = decode_call(body, max_bytes=settings.EXTDESK_MAX_BODY_BYTES)
        except ClientFault:
            _consume(header)
            raise
        if changes_nothing(call.method):
            # One commit per call instead of two: the nonce goes in with the
            # audit entry once the answer is ready (_settle_nonce), which is
            # safe because this call changes nothing, replayed or not.
            note.nonce = header
        else:
            _consume(header)
    note.operation, note.records = call.method, audit.records_in_call(call.params)
    result = dispatch(call)
    content = result if isinstance(result, bytes) else b"".join(result)
    note.records = note.records or audit.records_in_response(content)
    log.debug("served %s for %s", call.method, note.address)
    return HttpResponse(content, content_type=XML_CONTENT_TYPE)


def _consume(header: signature.SignatureHeader) -> None:
    if not consume_nonce(header.nonce, header.timestamp, settings.EXTDESK_SIGNATURE_WINDOW):
        raise AuthenticationFailed(f"nonce {header.nonce[:6]}... was already used (replay)")
