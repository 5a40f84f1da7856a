"""Reading the one request shape that carries bulk data, in C-speed passes.

``alter_contacts`` pushes arrive exactly as SOAP::Lite writes them: an
envelope, a call element, one array parameter, ``<item>`` structs of scalar
fields, each ``<name xsi:type="...">text</name>``, no whitespace between
elements. For such a document, once libxml2 has checked it is well formed
(without building a tree or calling back into Python), splitting the array's
content at every "<" and reading each piece once gets the values faster than
any per-element callback or regular expression can.

This is the fast path of ``decoding.decode_call``, kept for the
alter_contacts figures of docs/performance.md. It reads no value rule of its
own: each field's value comes from the rule the plain reader applies
(values.leaf_rule), an item is a struct only where the plain reader's guess
says so (values.untyped_is_array), and the nodes are counted against the
same budget (budget.py). Any document that differs from that shape in any
way (another prefix for ``xsi``, a multi-ref, a comment, a CDATA section,
pretty-printing, a non-UTF-8 encoding, ...) is left to the plain reader:
``read`` returns None. Where it does answer, the answer is the plain
reader's, value for value (tests/soap/test_soaplite_fast_path.py compares
the two).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from .budget import COMPOUND_NODES, PARAM_NODES, node_budget, too_many_nodes
from .exceptions import ClientFault
from .values import SOAP_ENC, SOAP_ENV, XSI, LeafRule, Value, leaf_rule, untyped_is_array

_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
_ATTRS = r'(?:\s+[A-Za-z_][A-Za-z0-9_.:-]*="[^"<&]*")*'
_HEAD = re.compile(
    r'\A(?:\ufeff)?(?:<\?xml version="1\.0"(?: encoding="(?:UTF|utf)-8")?\?>)?'
    rf"<({_NAME}):Envelope({_ATTRS})><\1:Body>"
    rf"<({_NAME})((?:\s+xmlns=\"[^\"<&]*\")?)>"
    rf"<({_NAME}):Array({_ATTRS})>"
)
_ATTR = re.compile(r'([A-Za-z_][A-Za-z0-9_.:-]*)="([^"<&]*)"')
# What may stand between one "<" and the first ">" after it in a field: its
# name, at most an xsi:type or xsi:nil attribute, and "/" when the element is
# empty. Groups: 1 name, 2 "type" or "nil", 3 its value, 4 "/" or " /".
_TAG = re.compile(rf'({_NAME})(?: xsi:(type|nil)="([^"<&]*)")?( ?/)?\Z')
_ENTITY = re.compile(r"&(?:#([0-9]+)|#x([0-9A-Fa-f]+)|(lt|gt|amp|quot|apos));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _unescape(match: re.Match[str]) -> str:
    if match[1] is not None:
        return chr(int(match[1]))
    if match[2] is not None:
        return chr(int(match[2], 16))
    return _NAMED[match[3]]


def _text(raw: str) -> str:
    # What libxml2 does to character data: line ends normalised, then
    # references replaced (a &#13; stays a carriage return).
    if "\r" in raw:
        raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in raw:
        raw = _ENTITY.sub(_unescape, raw)
    return raw


def _attributes(text: str) -> dict[str, str] | None:
    found = dict(_ATTR.findall(text))
    return found if len(found) == text.count("=") else None


# A field's start tag read: its name, what makes its value from its text
# (None: the text itself), whether the element is empty, its end tag.
_Tag = tuple[str, LeafRule, bool, str]


def _field_tag(tag: str) -> _Tag | None:
    """What a field's start tag (between "<" and ">") says; None when it is
    not the start tag of a field."""
    match = _TAG.match(tag)
    if match is None:
        return None
    name, attribute, value, empty = match.groups()
    # The rule the plain reader applies to a leaf with these attributes.
    convert = leaf_rule(value if attribute == "type" else None,
                        value if attribute == "nil" else None, False, False)
    return name, convert, empty is not None, f"/{name}>"


# The array's content is split a slab of whole items at a time: the pieces
# of a whole 100,000-record push at once would take three times its size.
_SLAB_CHARACTERS = 1 << 16


def _slabs(document: str, start: int, end: int) -> Iterator[str]:
    """``document[start:end]`` in slabs that each end with an item's end tag.

    A cut after a field that is itself named ``item`` leaves an item open at
    the end of its slab, which _items refuses: such documents are left to
    the plain reader.
    """
    while start < end:
        cut = document.find("</item>", start + _SLAB_CHARACTERS, end)
        cut = end if cut == -1 else cut + len("</item>")
        yield document[start:cut]
        start = cut


def _items(slabs: Iterable[str], references: bool,
           max_nodes: int) -> list[Value] | None:
    """The array's items, or None when its content is anything but
    ``<item>`` structs of simple fields.
    ``references``: whether the content holds any "&" or carriage return.

    libxml2 has checked that the document is well formed, so an end tag
    right after a start tag and its text closes that element: splitting at
    "<" (C speed) and looking at each piece once is enough.

    Raises the budget's fault (TooManyValues) as soon as the items read so
    far count more than ``max_nodes``: the plain reader counts those
    items the same way, so it would refuse the document whatever follows
    them, and before it looks at any value. Raises the ClientFault of the first
    value the plain reader refuses too, once the whole array has been
    read within the budget.
    """
    # Few distinct start tags occur in a push (a name and a type each):
    # each is read once per document.
    tags: dict[str, _Tag] = {}
    items: list[Value] = []
    unreadable: ClientFault | None = None
    # Counted as the plain reader counts (budget.py): the call element
    # with its one parameter, the array (a leaf while it has no items), then
    # each item and its fields.
    nodes = COMPOUND_NODES + PARAM_NODES + 1
    per_item = COMPOUND_NODES
    for slab in slabs:
        if nodes > max_nodes:
            raise too_many_nodes(max_nodes)
        parts = slab.split("<")
        if parts[0]:
            return None  # text before an item
        pieces = iter(parts)
        next(pieces)
        for start in pieces:
            if start != "item>":
                return None
            fields: dict[str, Any] = {}
            count = 0
            for piece in pieces:  # the same iterator: the item's fields
                if piece == "/item>":
                    break
                tag, _, text = piece.partition(">")
                try:
                    name, convert, empty, end_tag = tags[tag]
                except KeyError:
                    known = _field_tag(tag)
                    if known is None:
                        return None
                    name, convert, empty, end_tag = tags[tag] = known
                if empty:
                    if text:
                        return None  # text beside the fields
                elif next(pieces, None) != end_tag:
                    return None  # a child element, or text after the end tag
                elif references and ("&" in text or "\r" in text):
                    text = _text(text)
                if convert is None:
                    fields[name] = text
                else:
                    try:
                        fields[name] = convert(text)
                    except ClientFault as exc:
                        unreadable = unreadable or exc
                        fields[name] = None
                count += 1
            else:
                return None  # the item is not closed in its slab
            # An item with no fields is a leaf, and one the plain reader takes
            # for an array (values.py) no struct: the plain reader decides those.
            if not fields or untyped_is_array(count, len(fields), next(iter(fields))):
                return None
            items.append(fields)
            nodes += per_item + count
    if items:
        nodes += COMPOUND_NODES - 1
    if nodes > max_nodes:
        raise too_many_nodes(max_nodes)
    if unreadable is not None:
        raise unreadable
    return items


def read(document: str, max_nodes: int | None = None
         ) -> tuple[str | None, str, str, list[Value]] | None:
    """(namespace, method, parameter name, items) of a SOAP::Lite array call,
    or None when ``document`` (well-formed, decoded) is not exactly that shape.

    Raises TooManyValues when its values count more nodes than ``max_nodes``
    (budget.py; by default, the budget of the document's UTF-8 bytes), and
    ClientFault for a value the plain reader would refuse as well.
    """
    if max_nodes is None:
        max_nodes = node_budget(len(document.encode("utf-8", "surrogatepass")))
    head = _HEAD.match(document)
    if head is None:
        return None
    env_prefix, env_attrs, method, call_attrs, array_prefix, array_attrs = head.groups()
    envelope = _attributes(env_attrs)
    array = _attributes(array_attrs)
    if envelope is None or array is None:
        return None
    # Every namespace in scope is declared on the envelope (and the call's
    # default namespace); nothing below may rebind a prefix.
    if (envelope.get(f"xmlns:{env_prefix}") != SOAP_ENV or envelope.get("xmlns:xsi") != XSI
            or envelope.get(f"xmlns:{array_prefix}") != SOAP_ENC
            or document.count("xmlns", head.end()) or any(
                name.startswith("xmlns") for name in array)):
        return None
    if any(name in ("href", "id", "xsi:nil") for name in array):
        return None
    array_type = array.get("xsi:type")
    if array.get(f"{array_prefix}:arrayType") is None and (
        array_type is None or array_type.rpartition(":")[2] != "Array"
    ):
        return None
    namespace = call_attrs.partition('"')[2][:-1] if call_attrs else envelope.get("xmlns")
    tail = f"</{array_prefix}:Array></{method}></{env_prefix}:Body></{env_prefix}:Envelope>"
    end = len(document.rstrip())
    if not document.startswith(tail, end - len(tail)):
        return None
    end -= len(tail)

    if end < head.end():
        return None
    start = head.end()
    references = document.find("&", start, end) != -1 or document.find("\r", start, end) != -1
    items = _items(_slabs(document, start, end), references, max_nodes)
    if items is None:
        return None
    return namespace or None, method, array_prefix and "Array", items
