"""Errors of the platform-side client, each phrased to say what to check."""

from __future__ import annotations


class HelpdeskError(Exception):
    """Base class of every error a HelpdeskClient call raises."""


class AuthenticationError(HelpdeskError):
    """The helpdesk refused the request's signature (HTTP 401)."""


class SoapFault(HelpdeskError):
    """The helpdesk answered with a SOAP Fault; ``code`` is ``Client`` or ``Server``."""

    def __init__(self, code: str, string: str, *, hint: str = "") -> None:
        message = f"the helpdesk answered with a {code} fault: {string}"
        super().__init__(f"{message} ({hint})" if hint else message)
        self.code = code
        self.string = string


class TransportError(HelpdeskError):
    """No SOAP answer: connection, timeout, TLS, or a non-SOAP response.

    ``retryable`` is false for conditions that repeating cannot change (a TLS
    certificate that does not verify, an answer that is SOAP but not this
    protocol's).
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class InvalidPerson(ValueError):
    """A person from the source breaks a rule of the protocol."""

    def __init__(self, where: str, field: str, message: str) -> None:
        super().__init__(f"{where}, field {field}: {message}")
        self.where = where
        self.field = field


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it and where it came from."""


class StateError(Exception):
    """The state file cannot be read, written or locked; the message names it."""


class SourceError(Exception):
    """The source cannot be read or holds invalid persons; the message says where."""
