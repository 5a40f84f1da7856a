"""Errors of the protocol layer."""

from .quoting import cut


class SoapError(Exception):
    """Base class of every error raised by the protocol layer."""


class SoapFaultError(SoapError):
    """A condition that is answered with a SOAP Fault.

    ``code`` is the faultcode's local part (``Client`` or ``Server``).
    """

    code = "Server"
    http_status = 500

    def __init__(self, message: str) -> None:
        # The message goes into a fault and a log line: whatever slipped into
        # it, neither may grow with what the caller sent.
        message = cut(message)
        super().__init__(message)
        self.message = message


class ClientFault(SoapFaultError):
    """The caller sent something wrong: bad XML, bad envelope, bad value."""

    code = "Client"


class ServerFault(SoapFaultError):
    """The server could not do what was asked for a reason of its own."""

    code = "Server"


class TooManyValues(ClientFault):
    """The values of a body add up to more than its size allows (budget.py)."""


class BodyTooLarge(ClientFault):
    """The request body exceeds the configured limit."""

    http_status = 413


class AuthenticationFailed(ClientFault):
    """The X-HSPC-Signature check failed.

    ``reason`` is for the server log only; the caller is told nothing but
    "authentication failed".
    """

    http_status = 401

    def __init__(self, reason: str) -> None:
        super().__init__("authentication failed")
        self.reason = cut(reason)


class FaultReceived(SoapError):
    """A SOAP Fault found in a response (raised on the client side)."""

    def __init__(self, code: str, message: str) -> None:
        # Read from an answer the client does not control: the client's
        # errors and logs quote it, so it is cut like the server's own.
        code, message = cut(code, 64), cut(message)
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
