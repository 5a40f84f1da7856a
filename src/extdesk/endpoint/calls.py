"""Serving one signed SOAP POST, whichever layer carried it in.

The Django view (views.py) and the WSGI entry point that answers /soap/
ahead of Django's handler (wsgi.py) both come here with the request's
WSGI environ and its body stream, and turn the Answer into their own
response. Transport concerns only: size, signature, replay, throttle,
faults and the audit entry; what a call does is operations.py's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db import DatabaseError

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
from extdesk.web.addresses import request_address

from . import throttle
from .operations import changes_nothing, dispatch
from .schema import ensure_schema
from .services import consume_nonce, consume_nonce_with

log = logging.getLogger("extdesk.soap")
XML_CONTENT_TYPE = "text/xml; charset=utf-8"
# Calls that change nothing (greet, list_contacts) are a few hundred bytes.
_DEFER_NONCE_BYTES = 4096
# As much of an operation's name as the audit log keeps (AuditEntry.operation).
_OPERATION_CHARACTERS = 64


class BodyStream(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(slots=True)
class Answer:
    """What to send back: an HTTP status and a SOAP body (answer or fault)."""

    status: int
    body: bytes
    retry_after: int | None = None
    # What the audit log says of it: "ok", "client fault" or "server fault".
    outcome: str = "ok"


def fault_answer(error: SoapFaultError) -> Answer:
    return Answer(error.http_status, fault_for(error),
                  outcome="client fault" if error.code == "Client" else "server fault")


def answer_post(meta: Mapping[str, Any], stream: BodyStream) -> Answer:
    """Serve one POSTed envelope; ``meta`` is the request's WSGI environ.

    Never raises: every failure becomes a SOAP fault, logged and audited.
    """
    # Behind the load balancer named in EXTDESK_TRUSTED_PROXIES, the caller is
    # in X-Forwarded-For: the throttle and the audit log must see the caller.
    note = _CallNote(request_address(meta))
    try:
        answer = _answer(meta, stream, note)
        if note.nonce is not None:
            return _settle_nonce(note, note.nonce, answer)
    except Exception:
        # Only the audit path can get here; the caller still gets a fault.
        log.exception("internal error while serving %s", note.address)
        return fault_answer(ServerFault("internal error in the helpdesk; see its log"))
    _audit(note, answer)
    return answer


def _audit(note: _CallNote, answer: Answer) -> None:
    if answer.status == throttle.TooManyFailures.http_status:
        # Answered without a look at the request: the cheapest request of
        # all must not be the one that writes.
        return
    if note.refused:
        audit.record_refused_soap_call(note.address, answer.status, answer.outcome)
    else:
        audit.record_soap_call(note.address, note.operation, note.records, answer.status, answer.outcome)


@dataclass(slots=True)
class _CallNote:
    """What the audit log is told about a call, filled in as it is served."""

    address: str
    operation: str = ""
    records: int = 0
    # The accepted signature of a call that changed nothing, whose nonce is
    # still to be recorded (in one transaction with its audit entry).
    nonce: signature.SignatureHeader | None = None
    # Until its signature is accepted, and again when it is a replay, the
    # request is refused: counted in the audit log, not written a row each.
    refused: bool = True


def _settle_nonce(note: _CallNote, header: signature.SignatureHeader, answer: Answer) -> Answer:
    """Record the nonce of a call that changed nothing, with its audit entry.

    A replay of such a call has run, but its answer is thrown away here and
    it is refused as every other replay is.
    """
    note.nonce = None
    try:
        accepted = consume_nonce_with(
            header.nonce, header.timestamp, settings.EXTDESK_SIGNATURE_WINDOW,
            lambda execute: audit.write_soap_call(note.address, note.operation, note.records,
                                                  answer.status, answer.outcome, execute),
        )
    except DatabaseError:
        log.exception("database error while serving %s", note.address)
        answer = fault_answer(ServerFault("the helpdesk's database is unavailable; retry later"))
    else:
        if accepted:
            audit.maybe_prune()
            return answer
        answer = _refuse(note, AuthenticationFailed(
            f"nonce {header.nonce[:6]}... was already used (replay)"))
    _audit(note, answer)
    return answer


def _refuse(note: _CallNote, error: AuthenticationFailed) -> Answer:
    note.refused = True
    log.warning("refused request from %s: %s", note.address, error.reason)
    throttle.record_failure(note.address)
    return fault_answer(error)


def _answer(meta: Mapping[str, Any], stream: BodyStream, note: _CallNote) -> Answer:
    try:
        return _handle(meta, stream, note)
    except SoapFaultError as error:
        if isinstance(error, AuthenticationFailed):
            return _refuse(note, error)
        if isinstance(error, throttle.TooManyFailures):
            answer = fault_answer(error)
            answer.retry_after = error.retry_after
            return answer
        if isinstance(error, ClientFault):
            log.info("client fault for %s: %s", note.address, error.message)
        return fault_answer(error)
    except DatabaseError:
        log.exception("database error while serving %s", note.address)
        return fault_answer(ServerFault("the helpdesk's database is unavailable; retry later"))
    except Exception:
        log.exception("internal error while serving %s", note.address)
        return fault_answer(ServerFault("internal error in the helpdesk; see its log"))


def _read_body(meta: Mapping[str, Any], stream: BodyStream) -> bytes:
    limit = settings.EXTDESK_MAX_BODY_BYTES
    try:
        declared = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ClientFault("the Content-Length header is not a number") from None
    if declared > limit:
        raise BodyTooLarge(f"the request body ({declared} bytes) exceeds the limit of {limit} bytes")
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise BodyTooLarge(f"the request body exceeds the limit of {limit} bytes")
    return body


def _handle(meta: Mapping[str, Any], stream: BodyStream, note: _CallNote) -> Answer:
    # The tables must exist before the throttle and the nonce store are
    # consulted; on an empty database this is where the installation happens.
    ensure_schema()
    # Before anything costly: a throttled address gets no signature check.
    throttle.check(note.address)
    body = _read_body(meta, stream)
    header = signature.verify(
        settings.EXTDESK_SECRET,
        meta.get(signature.WSGI_HEADER_KEY),
        body,
        window=settings.EXTDESK_SIGNATURE_WINDOW,
    )
    note.refused = False
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
    # An unknown operation's name is the caller's, up to 50,000 characters
    # (libxml2's limit): the audit entry and its log lines take a short one.
    note.operation = call.method[:_OPERATION_CHARACTERS]
    note.records = audit.records_in_call(call.params)
    response = dispatch(call)
    content = response.body if isinstance(response.body, bytes) else b"".join(response.body)
    note.records = note.records or response.records
    log.debug("served %s for %s", call.method, note.address)
    return Answer(200, content)


def _consume(header: signature.SignatureHeader) -> None:
    if not consume_nonce(header.nonce, header.timestamp, settings.EXTDESK_SIGNATURE_WINDOW):
        raise AuthenticationFailed(f"nonce {header.nonce[:6]}... was already used (replay)")
