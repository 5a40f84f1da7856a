"""Errors of the protocol layer."""


class SoapError(Exception):
    """Base class of every error raised by the protocol layer."""


class SoapFaultError(SoapError):
    """A condition that is answered with a SOAP Fault.

    ``code`` is the faultcode's local part (``Client`` or ``Server``).
    """

    code = "Server"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ClientFault(SoapFaultError):
    """The caller sent something wrong: bad XML, bad envelope, bad value."""

    code = "Client"


class ServerFault(SoapFaultError):
    """The server could not do what was asked for a reason of its own."""

    code = "Server"


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
        self.reason = reason


class FaultReceived(SoapError):
    """A SOAP Fault found in a response (raised on the client side)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
