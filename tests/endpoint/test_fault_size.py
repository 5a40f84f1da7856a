"""A fault, and the log lines about it, stay small whatever the request held.

Issue 10, item 4: a 1.7 KB signed init_session whose act was a multi-ref
DAG (each node two hrefs to the next, 24 deep) was answered with a 117 MB
fault quoting the value, after 4 s and 653 MB, and the text went to the log.
"""

from __future__ import annotations

import logging
import time

import pytest
from benchmarks.decoder import dag_body, empty_elements_body

from extdesk.audit.models import AuditEntry
from extdesk.soap.envelope import encode_call
from extdesk.soap.protocol import DEFAULT_NAMESPACE

# Generous for any fault or log line this endpoint writes; the DAG's was
# 117 MB.
SMALL_FAULT_BYTES = 2048
SHORT_LOG_LINE = 1200


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def _assert_short_log(logged) -> None:
    assert logged.records, "the fault should have been logged"
    for record in logged.records:
        assert len(record.getMessage()) < SHORT_LOG_LINE, record.getMessage()[:200]


def _small_client_fault(answer, *fragments: str) -> str:
    assert len(answer.body) < SMALL_FAULT_BYTES, answer.body[:300]
    fault = answer.fault
    assert fault.code == "Client"
    for fragment in fragments:
        assert fragment in fault.message, fault.message
    return fault.message


def test_init_session_with_a_multi_ref_dag_as_act_gets_a_small_fault_quickly(soap, logged):
    body = dag_body(depth=24, fan_out=2)
    assert len(body) < 2600
    started = time.monotonic()
    answer = soap.post(body)
    took = time.monotonic() - started
    assert answer.status == 500
    _small_client_fault(answer, "multi-refs expanded", "add up to more than")
    assert took < 1, f"{took:.2f} s"
    _assert_short_log(logged)


@pytest.mark.parametrize("param, value, expected", [
    ("act", {"page": "x" * 5000}, "act must be a string, got a struct"),
    ("act", ["add", "list"], "act must be a string, got an array"),
    ("act", None, "act must be a string, got nil"),
    ("ip", {"v4": "127.0.0.1"}, "ip must be a string, got a struct"),
    ("id", [1, 2], "id must be an integer, got an array"),
])
def test_a_parameter_of_the_wrong_type_is_named_not_printed(soap, logged, param, value, expected):
    params = {"id": 1, "ip": "127.0.0.1", "act": "add", param: value}
    answer = soap.call("init_session", params["id"], params["ip"], params["act"])
    message = _small_client_fault(answer, expected)
    assert "xxxx" not in message and "127.0.0.1" not in message
    _assert_short_log(logged)


@pytest.mark.parametrize("param", ["act", "ip"])
def test_a_long_text_parameter_is_quoted_cut(soap, logged, param):
    params = {"id": 1, "ip": "127.0.0.1", "act": "add", param: "z" * 200_000}
    answer = soap.call("init_session", params["id"], params["ip"], params["act"])
    _small_client_fault(answer, f"{param} ", "zzzz", "(200,000 characters)")
    _assert_short_log(logged)


def test_an_unknown_operation_with_a_long_name_is_quoted_cut_and_audited_cut(soap, logged):
    # libxml2 accepts element names up to 50,000 characters.
    method = "m" * 40_000
    answer = soap.post(encode_call(DEFAULT_NAMESPACE, method, [("p", "1")]))
    _small_client_fault(answer, "unknown operation", "(40,000 characters)")
    _assert_short_log(logged)
    entry = AuditEntry.objects.get(kind=AuditEntry.Kind.SOAP)
    assert entry.operation == method[:64]


def test_a_push_of_empty_elements_with_ids_is_refused_quickly(soap, logged):
    # The shape of the 32 MB push of issue 10, at 2 MB: each element would be
    # kept whole for an href, at 40 times its size.
    body = empty_elements_body(2 * 1024 * 1024)
    started = time.monotonic()
    answer = soap.post(body)
    took = time.monotonic() - started
    _small_client_fault(answer, "add up to more than")
    assert took < 2, f"{took:.2f} s"
    _assert_short_log(logged)
