"""The operations of the External Helpdesk protocol, as data.

Shared by the WSDL, the server's dispatcher and the client, so the three
cannot disagree on names, arity or types.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_NAMESPACE = "urn:HSPC/ExternalHelpdesk"

# Fields of a contact record (PROTOCOL.md section 4, alter_contacts).
CONTACT_NAME_FIELDS = ("prefix", "first_name", "insertion", "middle_name", "last_name", "suffix")
CONTACT_FIELDS = ("id", "email", *CONTACT_NAME_FIELDS, "accounts")
SESSION_ACTIONS = ("add", "list")

# The limits of a contact record's fields, which the client checks before
# sending and the helpdesk on receiving. Ids are stored as signed 64-bit
# integers; MAX_NAME_LENGTH holds for each name part and for each account
# name in ``accounts``.
MAX_CONTACT_ID = 2**63 - 1
MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 255


def split_accounts(text: str) -> tuple[str, ...]:
    """The account names of the comma-separated ``accounts`` field: trimmed,
    empty and repeated names dropped, sorted (their order does not matter)."""
    if not text:
        return ()
    names = set(map(str.strip, text.split(",")))
    names.discard("")
    return tuple(sorted(names))


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    params: tuple[tuple[str, str], ...]  # (name, WSDL type)
    result: str  # WSDL type

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.params)


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("greet", (), "xsd:string"),
        Operation("alter_contacts", (("contacts", "tns:ContactArray"),), "xsd:int"),
        Operation("list_contacts", (), "tns:IntArray"),
        Operation(
            "init_session",
            (("id", "xsd:int"), ("ip", "xsd:string"), ("act", "xsd:string")),
            "xsd:string",
        ),
    )
}
