"""HelpdeskClient: the platform's side of the External Helpdesk protocol.

Requests are RPC/encoded as SOAP::Lite writes them, with every string sent
as ``xsd:string`` (``xsd:base64Binary`` of its UTF-8 when XML cannot carry
it), so values arrive exactly as given. Each request is signed with a fresh
timestamp and nonce, also when it is retried.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from extdesk import __version__
from extdesk.soap import signature
from extdesk.soap.envelope import Value, decode_response, encode_call, iter_encode_call
from extdesk.soap.exceptions import FaultReceived, SoapError, TooManyValues
from extdesk.soap.protocol import DEFAULT_NAMESPACE, SESSION_ACTIONS
from extdesk.soap.quoting import shown

from .errors import AuthenticationError, SoapFault, TransportError
from .persons import Person, parse_person, parse_person_id

log = logging.getLogger("extdesk.client")
# Retries are reported to an application that configures logging, and stay quiet otherwise.
log.addHandler(logging.NullHandler())

DEFAULT_TIMEOUT = 120.0
DEFAULT_RETRIES = 3
DEFAULT_BATCH_SIZE = 1000
# The protocol guarantees at least 10,000 records per call.
MAX_BATCH_SIZE = 10_000
# A list_contacts answer for millions of persons is tens of megabytes.
MAX_RESPONSE_BYTES = 512 * 1024 * 1024
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")
_TLS_REASON = re.compile(r"certificate verify failed: ([^'\"()]+)")
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class _StreamedCall:
    """A request body kept as the chunks the encoder wrote, never joined.

    requests sends an iterable with a length as a Content-Length body, chunk
    by chunk; signing reads the same chunks. The chunks are kept (one batch
    at a time) so that signing, sending and retries encode only once.
    """

    def __init__(self, namespace: str, method: str, params: list[tuple[str, Any]]) -> None:
        self._chunks = list(iter_encode_call(namespace, method, params))
        self._length = sum(len(chunk) for chunk in self._chunks)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)

    def __len__(self) -> int:
        return self._length


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the helpdesk URL {url!r} must be an http:// or https:// URL with a host")
    return url


def _reason(exc: BaseException) -> str:
    text = str(exc)
    match = _TLS_REASON.search(text) or _ERRNO.search(text)
    if match:
        return match[1].strip()
    return type(exc).__name__


class HelpdeskClient:
    """Calls the four operations of a helpdesk; one connection pool per client.

    ``verify`` is True (the system's CA certificates), or the path of a CA
    bundle or certificate to trust. Transport errors are retried ``retries``
    times with exponential backoff; faults and authentication failures are not.
    """

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        namespace: str = DEFAULT_NAMESPACE,
        timeout: float = DEFAULT_TIMEOUT,
        verify: bool | str = True,
        retries: int = DEFAULT_RETRIES,
        backoff: float = 0.5,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self.url = _check_url(url)
        if not isinstance(secret, str) or len(secret) < signature.MIN_SECRET_LENGTH:
            raise ValueError(
                f"the shared secret must be at least {signature.MIN_SECRET_LENGTH} characters"
            )
        if not namespace:
            raise ValueError("the namespace must not be empty")
        if timeout <= 0:
            raise ValueError("the timeout must be a positive number of seconds")
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"the batch size must be from 1 to {MAX_BATCH_SIZE}")
        self._secret = secret
        self.namespace = namespace
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.batch_size = batch_size
        # Passed with each request: a Session-level setting would lose to
        # REQUESTS_CA_BUNDLE in the environment.
        self._verify = verify
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=2, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __repr__(self) -> str:
        # The secret stays out of reprs, tracebacks and logs.
        return f"HelpdeskClient({self.url!r}, namespace={self.namespace!r})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HelpdeskClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the operations ---------------------------------------------------------

    def greet(self) -> str:
        """The helpdesk's identification string; installs its tables if needed."""
        result = self._call("greet", [])
        if isinstance(result, int | float) and not isinstance(result, bool):
            # An autotyping server may send a numeric-looking name as a number.
            return str(result)
        return self._expect(result, str, "greet", "a string")

    def alter_contacts(self, records: Iterable[Mapping[str, object] | Person]) -> int:
        """Insert or update persons; the number the helpdesk inserted or changed.

        Records are validated first (ValueError naming the position and
        field, and nothing sent), then pushed in batches of ``batch_size``.
        """
        persons = [
            item if isinstance(item, Person) else parse_person(item, f"record {position}")
            for position, item in enumerate(records, start=1)
        ]
        return sum(self.push_batch(batch) for batch in self.batches(persons))

    def batches(self, persons: list[Person]) -> Iterator[list[Person]]:
        """``persons`` in order, cut into lists of at most ``batch_size``: one push_batch each."""
        for start in range(0, len(persons), self.batch_size):
            yield persons[start:start + self.batch_size]

    def push_batch(self, persons: list[Person]) -> int:
        """One alter_contacts call with already validated persons."""
        body = _StreamedCall(self.namespace, "alter_contacts",
                             [("contacts", [person.as_record() for person in persons])])
        result = self._call("alter_contacts", body)
        if isinstance(result, str) and result.strip().isdigit():
            return int(result)
        return self._expect(result, int, "alter_contacts", "a count")

    def list_contacts(self) -> list[int]:
        """The person ids the helpdesk holds, ascending."""
        result = self._call("list_contacts", [])
        if result is None or result == {}:
            return []
        if not isinstance(result, list):
            raise self._unexpected("list_contacts", result, "an array of ids")
        try:
            return sorted(parse_person_id(item) for item in result)
        except ValueError:
            raise self._unexpected("list_contacts", result, "an array of ids") from None

    def init_session(self, person_id: int, ip: str, act: str) -> str:
        """A one-time URL logging person ``person_id`` in from ``ip`` on page ``act``."""
        person_id = parse_person_id(person_id)
        try:
            ip = str(ipaddress.ip_address(ip))
        except ValueError:
            raise ValueError(f"{ip!r} is not an IPv4 or IPv6 address") from None
        if act not in SESSION_ACTIONS:
            raise ValueError(f"act must be one of {', '.join(SESSION_ACTIONS)}, not {act!r}")
        result = self._call("init_session", [("id", person_id), ("ip", ip), ("act", act)])
        return self._expect(result, str, "init_session", "a URL")

    # --- the transport ----------------------------------------------------------

    def _expect(self, result: Value, kind: type, method: str, what: str) -> Any:
        if isinstance(result, kind) and not (kind is int and isinstance(result, bool)):
            return result
        raise self._unexpected(method, result, what)

    def _unexpected(self, method: str, result: Value, what: str) -> TransportError:
        # Named, not printed: a struct or an array may be as large as the
        # response (or larger, its multi-refs shared), and this message is
        # logged and shown.
        return TransportError(
            f"{self.url} answered {method} with {shown(result)}, not {what}: "
            "is this the SOAP endpoint of an External Helpdesk?",
            retryable=False,
        )

    def _call(self, method: str, params: list[tuple[str, Any]] | _StreamedCall) -> Value:
        body: bytes | _StreamedCall = (
            params if isinstance(params, _StreamedCall) else encode_call(self.namespace, method, params)
        )
        attempt = 0
        while True:
            try:
                return self._attempt(method, body)
            except TransportError as exc:
                if not exc.retryable or attempt >= self.retries:
                    raise
                delay = self.backoff * 2**attempt * random.uniform(0.8, 1.2)
                attempt += 1
                log.warning("%s failed (%s); retry %d of %d in %.1f s",
                            method, exc, attempt, self.retries, delay)
                time.sleep(delay)

    def _attempt(self, method: str, body: bytes | _StreamedCall) -> Value:
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "Accept": "text/xml",
            "SOAPAction": f'"{self.namespace}#{method}"',
            "User-Agent": f"Extdesk-client/{__version__}",
            # A fresh timestamp and nonce for every attempt: a retried request
            # must not look like a replay.
            signature.HEADER_NAME: signature.sign(self._secret, body),
        }
        try:
            response = self._session.post(
                self.url, data=body, headers=headers, timeout=self.timeout, verify=self._verify,
                allow_redirects=False,
            )
        except requests.exceptions.SSLError as exc:
            reason = _reason(exc)
            if "certificate verify failed" in str(exc):
                raise TransportError(
                    f"the TLS certificate of {self.url} could not be verified ({reason}); "
                    "trust its CA with --ca-bundle (verify=path-to-CA)",
                    retryable=False,
                ) from None
            # "(SSLError)" alone sends no one anywhere: name the three usual causes.
            detail = "" if reason == type(exc).__name__ else f" ({reason})"
            raise TransportError(
                f"TLS with {self.url} failed{detail}; check the scheme (a server speaking plain "
                "HTTP wants an http:// URL), that its certificate is trusted (--ca-bundle), and that "
                "the host name is the one its certificate names",
            ) from None
        except requests.exceptions.Timeout:
            raise TransportError(
                f"no answer from {self.url} within {self.timeout:g} s; check that the helpdesk is up"
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise TransportError(
                f"cannot connect to {self.url} ({_reason(exc)}); "
                "check that the helpdesk is running and the URL is right"
            ) from None
        except requests.RequestException as exc:
            raise TransportError(f"the request to {self.url} failed ({_reason(exc)})") from None
        return self._read(method, response)

    def _read(self, method: str, response: requests.Response) -> Value:
        status = response.status_code
        if status == 401:
            raise AuthenticationError(
                f"the helpdesk at {self.url} refused the request's signature (HTTP 401): check that "
                "the shared secret is the one set in the helpdesk, and that this machine's clock "
                "is right"
            )
        if 300 <= status < 400:
            raise TransportError(
                f"{self.url} answered HTTP {status} redirecting to "
                f"{response.headers.get('Location', '(nowhere)')}; use the endpoint's own URL",
                retryable=False,
            )
        content = response.content
        try:
            result = decode_response(content, max_bytes=MAX_RESPONSE_BYTES)
        except FaultReceived as fault:
            hint = "the request is larger than the helpdesk accepts; use a smaller batch size" \
                if status == 413 else ""
            raise SoapFault(fault.code, fault.message, hint=hint) from None
        except TooManyValues as refused:
            raise TransportError(
                f"{self.url} answered {method} with a response the client refuses: "
                f"{refused.message}", retryable=False,
            ) from None
        except SoapError:
            content_type = response.headers.get("Content-Type", "no content type")
            title = _TITLE.search(content[:4096])
            page = f' ("{title[1].decode("utf-8", "replace").strip()}")' if title else ""
            raise TransportError(
                f"{self.url} answered HTTP {status} with {content_type}{page}, not a SOAP envelope; "
                "check the URL and the proxy or web server in front of the helpdesk"
            ) from None
        if not 200 <= status < 300:
            raise TransportError(f"{self.url} answered {method} with HTTP {status} and no fault")
        return result
