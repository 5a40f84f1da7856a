"""The protocol's operations: decoded arguments in, response body out.

Each handler converts its arguments to what its service needs and calls it;
what a value means is decided here, not by the sender's xsi:type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings

from extdesk import IDENTIFICATION
from extdesk.contacts import selectors as contact_selectors
from extdesk.contacts import services as contact_services
from extdesk.contacts.exceptions import InvalidRecord
from extdesk.contacts.records import parse_platform_id
from extdesk.soap.envelope import Call, Value, encode_response, int_type, iter_int_array_response
from extdesk.soap.exceptions import ClientFault
from extdesk.soap.protocol import CONTACT_FIELDS, OPERATIONS, SESSION_ACTIONS
from extdesk.soap.quoting import kind, shown
from extdesk.sso import services as sso_services
from extdesk.web.addresses import parse_ip

from .schema import ensure_schema


@dataclass(frozen=True, slots=True)
class Response:
    """A handler's answer: the response body, whole or as chunks, and how many
    records it carries (for the audit log)."""

    body: bytes | Iterable[bytes]
    records: int = 0


Handler = Callable[[str | None, list[Value]], Response]


@dataclass(frozen=True, slots=True)
class Registered:
    handler: Handler
    param_names: tuple[str, ...]
    # False for operations that change nothing: a replay of one that runs
    # before its nonce is refused has no effect (see calls._handle).
    writes: bool


_REGISTRY: dict[str, Registered] = {}


def operation(name: str, *, writes: bool = True) -> Callable[[Handler], Handler]:
    """Register ``handler`` as the protocol operation ``name``.

    ``writes=False`` promises that the handler changes no stored data.
    """

    def register(handler: Handler) -> Handler:
        _REGISTRY[name] = Registered(handler, OPERATIONS[name].param_names, writes)
        return handler

    return register


def served_operations() -> list[str]:
    return list(_REGISTRY)


def changes_nothing(method: str) -> bool:
    """True when ``method`` is a served operation that writes no data."""
    registered = _REGISTRY.get(method)
    return registered is not None and not registered.writes


def dispatch(call: Call) -> Response:
    """Run the call's operation; ClientFault for unknown names or arity."""
    registered = _REGISTRY.get(call.method)
    if registered is None:
        raise ClientFault(
            f"unknown operation {shown(call.method)}; this helpdesk offers "
            + ", ".join(sorted(_REGISTRY))
        )
    args = _arguments(call, registered.param_names)
    return registered.handler(call.namespace, args)


def _arguments(call: Call, expected: tuple[str, ...]) -> list[Value]:
    names = [name for name, _ in call.params]
    if len(names) != len(expected):
        raise ClientFault(
            f"{call.method} takes {len(expected)} parameter(s)"
            + (f" ({', '.join(expected)})" if expected else "")
            + f", but {len(names)} were sent"
        )
    # Positional by the protocol; a client that names every parameter
    # correctly (WSDL-driven ones do) may send them in any order.
    if sorted(names) == sorted(expected) and names != list(expected):
        by_name = dict(call.params)
        return [by_name[name] for name in expected]
    return [value for _, value in call.params]


# greet creates the tables on an empty database only, idempotently: no data.
@operation("greet", writes=False)
def greet(namespace: str | None, args: list[Value]) -> Response:
    ensure_schema()
    return Response(encode_response(namespace, "greet", IDENTIFICATION))


def _contact_list(value: Value) -> list[Value]:
    """The contacts parameter as a list of records; one struct is a list of one."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        if not value or any(field in value for field in CONTACT_FIELDS):
            return [value]
        if all(isinstance(item, dict) for item in value.values()):
            # An array written as a struct of differently named items.
            return list(value.values())
        return [value]
    raise ClientFault("alter_contacts expects an array of contact structs, not a plain string")


@operation("alter_contacts")
def alter_contacts(namespace: str | None, args: list[Value]) -> Response:
    try:
        changed = contact_services.alter_contacts(_contact_list(args[0]))
    except InvalidRecord as exc:
        raise ClientFault(f"alter_contacts: {exc}") from None
    return Response(encode_response(namespace, "alter_contacts", changed))


@operation("list_contacts", writes=False)
def list_contacts(namespace: str | None, args: list[Value]) -> Response:
    ids = list(contact_selectors.iter_platform_ids())
    # Platform ids may exceed 32 bits (SOAP::Lite reads xsd:long as well); they
    # come ascending, so the last one decides the items' type.
    item_type = int_type(ids[-1]) if ids else "xsd:int"
    return Response(iter_int_array_response(namespace, "list_contacts", ids, len(ids), item_type),
                    records=len(ids))


def _scalar(value: Value, operation: str, name: str, what: str) -> str:
    """A parameter that must be a scalar: its text, or a fault naming what
    came instead (a struct or an array is never printed: see soap/quoting)."""
    if not isinstance(value, str):
        raise ClientFault(f"{operation}: {name} must be {what}, got {kind(value)}")
    return value


@operation("init_session")
def init_session(namespace: str | None, args: list[Value]) -> Response:
    raw_id, raw_ip, raw_act = args
    try:
        platform_id = parse_platform_id(_scalar(raw_id, "init_session", "id", "an integer"))
    except ValueError as exc:
        raise ClientFault(f"init_session: id {exc}") from None
    raw_ip = _scalar(raw_ip, "init_session", "ip", "a string")
    try:
        ip = parse_ip(raw_ip)
    except ValueError:
        raise ClientFault(
            f"init_session: ip {shown(raw_ip)} is not an IPv4 or IPv6 address") from None
    act = _scalar(raw_act, "init_session", "act", "a string").strip()
    if act not in SESSION_ACTIONS:
        raise ClientFault(
            f"init_session: act must be {' or '.join(SESSION_ACTIONS)}, got {shown(act)}")
    contact = contact_selectors.get_contact_by_platform_id(platform_id)
    if contact is None:
        raise ClientFault(f"init_session: no contact with id {platform_id} has been synchronised")
    token = sso_services.issue_token(contact, ip, act)
    # The base URL already holds any path prefix the site is served under.
    url = f"{settings.EXTDESK_BASE_URL}/sso/{token}"
    return Response(encode_response(namespace, "init_session", url))
