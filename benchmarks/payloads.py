"""Request bodies shaped byte for byte as Perl SOAP::Lite 1.27 writes them.

See /work/shared/soaplite-captures: the call element declares the default
namespace, the array parameter is an element named ``soapenc:Array`` with
``<item>`` structs, fields come in random (hash) order, every id is an
``xsd:int`` and every string holding a character outside printable ASCII is
``xsd:base64Binary``.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass, replace

from extdesk.soap.envelope import escape_text
from extdesk.soap.protocol import DEFAULT_NAMESPACE

_PROLOGUE = (
    '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope '
    'soap:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" '
    'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body>'
)
_EPILOGUE = "</soap:Body></soap:Envelope>"

_FIRST = ("Anna", "Bob", "Carla", "Dirk", "Eva", "Frank", "Greta", "Hugo", "Ines", "Jan")
_FIRST_WIDE = ("Zoë", "Jürgen", "Søren", "François", "Małgorzata", "Ǆemal", "山田", "Zoë 😀")
_LAST = ("Smith", "de Vries", "Jansen", "Bakker", "Visser", "Meijer", "O'Brien", "Müller")
_INSERTIONS = ("", "", "", "van", "van der", "de")
_ACCOUNTS_PER_PERSON = (1, 1, 1, 2, 2, 3)


@dataclass(frozen=True, slots=True)
class Person:
    """One contact record as the platform pushes it."""

    id: int
    email: str
    prefix: str
    first_name: str
    insertion: str
    middle_name: str
    last_name: str
    suffix: str
    accounts: str

    def row(self) -> tuple:
        """The record as stored: the values the floor's upsert writes."""
        return (self.id, self.email, self.prefix, self.first_name, self.insertion,
                self.middle_name, self.last_name, self.suffix)


def people(first_id: int, count: int, seed: int) -> list[Person]:
    """``count`` persons with ids from ``first_id``; a third have non-ASCII names."""
    rng = random.Random(seed)
    accounts = max(1, count // 3)
    result = []
    for offset in range(count):
        pid = first_id + offset
        wide = offset % 3 == 0
        first = rng.choice(_FIRST_WIDE if wide else _FIRST)
        owned = rng.sample(range(accounts), rng.choice(_ACCOUNTS_PER_PERSON))
        result.append(Person(
            id=pid,
            email=f"person{pid}@customer{pid % 997}.example.com",
            prefix=rng.choice(("", "Dr.", "Mr.", "Ms.")),
            first_name=first,
            insertion=rng.choice(_INSERTIONS),
            middle_name=rng.choice(("", "", "M", "J.")),
            last_name=rng.choice(_LAST),
            suffix=rng.choice(("", "", "", "Jr.")),
            accounts=", ".join(f"acct-{first_id}-{n}" for n in owned),
        ))
    return result


def changed(persons: list[Person], generation: int) -> list[Person]:
    """Every record changed: a new last name; every tenth also moves account."""
    result = []
    for index, person in enumerate(persons):
        update = replace(person, last_name=f"{person.last_name.split('~')[0]}~{generation}")
        if index % 10 == 0:
            update = replace(update, accounts=f"{person.accounts}, moved-{generation}")
        result.append(update)
    return result


def _field(name: str, value: str, out: list[str]) -> None:
    if value and not all(" " <= ch <= "~" for ch in value):
        encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
        out.append(f'<{name} xsi:type="xsd:base64Binary">{encoded}</{name}>')
    else:
        out.append(f'<{name} xsi:type="xsd:string">{escape_text(value)}</{name}>')


def alter_contacts_body(persons: list[Person], seed: int = 0) -> bytes:
    rng = random.Random(seed)
    out = [_PROLOGUE, f'<alter_contacts xmlns="{DEFAULT_NAMESPACE}">',
           f'<soapenc:Array soapenc:arrayType="xsd:anyType[{len(persons)}]" xsi:type="soapenc:Array">']
    for person in persons:
        fields = [
            ("email", person.email), ("prefix", person.prefix), ("first_name", person.first_name),
            ("insertion", person.insertion), ("middle_name", person.middle_name),
            ("last_name", person.last_name), ("suffix", person.suffix),
            ("accounts", person.accounts), ("id", None),
        ]
        rng.shuffle(fields)
        out.append("<item>")
        for name, value in fields:
            if value is None:
                out.append(f'<id xsi:type="xsd:int">{person.id}</id>')
            else:
                _field(name, value, out)
        out.append("</item>")
    out.append("</soapenc:Array></alter_contacts>")
    out.append(_EPILOGUE)
    return "".join(out).encode("utf-8")


def no_argument_body(method: str) -> bytes:
    return (f'{_PROLOGUE}<{method} xmlns="{DEFAULT_NAMESPACE}" xsi:nil="true" />{_EPILOGUE}'
            ).encode("ascii")


def init_session_body(person_id: int, ip: str, act: str) -> bytes:
    return (
        f'{_PROLOGUE}<init_session xmlns="{DEFAULT_NAMESPACE}">'
        f'<c-gensym10 xsi:type="xsd:int">{person_id}</c-gensym10>'
        f'<c-gensym12 xsi:type="xsd:string">{ip}</c-gensym12>'
        f'<c-gensym14 xsi:type="xsd:string">{act}</c-gensym14>'
        f"</init_session>{_EPILOGUE}"
    ).encode("ascii")
