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
