"""Reading RPC/encoded envelopes: one decoder for requests and responses.

A document is read in one pass of parser events (no tree is built, see
safexml): every element of the Body gets its value when it ends, bottom-up,
by the rules of values.py. What the values can only settle once the whole
document is known (an ``href`` to an element further on, a value that cannot
be read but may be reached by nobody) is left as a placeholder and resolved
afterwards in one walk from the call's parameters or the response's result,
each multi-ref target once, its value shared between its uses (as zeep
does). Structural faults are noted during the parse and raised once it is
over, so that malformed XML is reported as such wherever it is; the node
budget (budget.py) alone stops the parse as soon as the values exceed it.

Only what the call or result can still reach is kept: the Body's first
element, the elements with an id (cut down to what an href needs), and the
values inside them; the other elements of the Body are dropped as they end.

``decode_call`` has a fast path: SOAP::Lite's large ``alter_contacts``
pushes are read by soaplite.py, which applies the same rules (values.py)
and the same budget, and answers exactly as the plain reader does
(tests/soap/test_soaplite_fast_path.py compares the two). It is kept for
the alter_contacts figures of docs/performance.md, which it more than
halves the decoding share of.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from io import SEEK_END, StringIO
from typing import Any, TypeVar

from lxml import etree

from . import soaplite
from .budget import COMPOUND_NODES, ID_NODES, MIN_NODES, PARAM_NODES, node_budget, too_many_nodes
from .exceptions import ClientFault, FaultReceived
from .quoting import shown
from .safexml import DEFAULT_MAX_BYTES, parse_xml_events
from .values import (
    ARRAY_TYPE,
    SOAP_ENV,
    XSI_NIL,
    XSI_TYPE,
    Value,
    declared_array,
    is_nil,
    leaf_rule,
    local_name,
    type_local,
    untyped_is_array,
)

_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_BODY = f"{{{SOAP_ENV}}}Body"
_HEADER = f"{{{SOAP_ENV}}}Header"
_FAULT = f"{{{SOAP_ENV}}}Fault"
_MUST_UNDERSTAND = f"{{{SOAP_ENV}}}mustUnderstand"
# Multi-ref chains deeper than this are hostile (or cyclic).
_MAX_REF_DEPTH = 64
# Below this size a push is read once, by the plain reader; above it the
# SOAP::Lite fast path's extra well-formedness pass pays for itself.
_FAST_PATH_BYTES = 16 * 1024

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Call:
    """An RPC call read from a request envelope."""

    namespace: str | None
    method: str
    params: list[tuple[str, Value]]


class _Invalid:
    """A value that cannot be read; a fault only if the call reaches it."""

    __slots__ = ("fault",)

    def __init__(self, fault: ClientFault) -> None:
        self.fault = fault


class _Ref:
    """An ``href`` to resolve once the whole document has been read."""

    __slots__ = ("href",)

    def __init__(self, href: str) -> None:
        self.href = href


_NO_ATTRIBUTES: dict[str, str] = {}
_NIL_ATTRIBUTES = {XSI_NIL: "true"}


@dataclass(slots=True)
class _Element:
    """An element of the Body being read, then what is kept of it.

    ``children`` holds the element children as one flat list, local name and
    value in turn (None until the first): a (name, value) tuple per child
    would cost more than the rest of an empty element. ``text`` becomes a
    StringIO when it arrives in pieces.
    """

    tag: str | None
    attrib: dict[str, str]
    children: list[Any] | None = None
    text: Any = ""
    value: Any = None


# What an href needs of an element with an id that ended as an empty string
# or nil and holds no children: never changed, so shared by all of them.
_EMPTY_LEAF = _Element(None, _NO_ATTRIBUTES, None, "", "")
_NIL_LEAF = _Element(None, _NIL_ATTRIBUTES, None, "", None)


@dataclass(frozen=True, slots=True)
class _ReadEnvelope:
    """What a _Reader found in one document."""

    root_tag: str | None
    bad_header: str | None
    has_doctype: bool
    has_body: bool
    # The Body's first element (None when it has none) and the multi-ref
    # targets by id, both of the last Body.
    top: _Element | None
    ids: dict[str, _Element]
    placeholders: bool
    # The faultcode and faultstring texts when ``top`` is a Fault.
    fault: dict[str, str]


class _Reader:
    """lxml parser target reading one envelope; see the module docstring.

    Subclasses say whether leaves are ``typed`` and what the budget's fault
    calls the values.
    """

    typed = False
    what = "the values in the envelope"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the last document (the reader is reused, see safexml)."""
        self.root_tag: str | None = None
        self.bad_header: str | None = None
        self.has_doctype = False
        self.has_body = False
        self.top: _Element | None = None
        self.ids: dict[str, _Element] = {}
        self.placeholders = False
        self.fault: dict[str, str] = {}
        self.nodes = 0
        self._budget = MIN_NODES
        self._stack: list[_Element] = []
        self._depth = 0
        self._header = False
        self._in_body = False
        self._locals: dict[str, str] = {}

    def begin(self, size: int) -> None:
        self._budget = node_budget(size)

    def doctype(self, *args: object) -> None:
        self.has_doctype = True

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self._in_body:
            # lxml hands attribute-less elements an immutable mapping whose
            # lookups are slow Python; a shared empty dict answers the same.
            element = _Element(tag, attrib if attrib else _NO_ATTRIBUTES)
            if attrib and "id" in attrib and attrib["id"] not in self.ids:
                self.ids[attrib["id"]] = element
            self._stack.append(element)
            return
        depth = self._depth
        self._depth = depth + 1
        if depth == 0:
            self.root_tag = tag
        elif depth == 1:
            self._header = tag == _HEADER
            if tag == _BODY:
                # The last Body counts, with only its own ids.
                self._in_body = True
                self.has_body = True
                self.top = None
                self.ids = {}
                self.fault = {}
                body = _Element(tag, _NO_ATTRIBUTES)
                ident = attrib.get("id")
                if ident is not None:
                    # Only the Body's own content can point at the Body: a cycle.
                    body.value = _Invalid(ClientFault(
                        f"href {shown('#' + ident)} forms a reference cycle"))
                    self.ids[ident] = body
                self._stack.append(body)
        elif depth == 2 and self._header and self.bad_header is None and (
            attrib.get(_MUST_UNDERSTAND, "0").strip() == "1"
        ):
            self.bad_header = local_name(tag)

    def data(self, text: str) -> None:
        if self._in_body:
            element = self._stack[-1]
            held = element.text
            if not held:
                element.text = text
            elif held.__class__ is str:
                # Text arrives in pieces (around every character reference):
                # adding each to a string would copy the whole text each time,
                # quadratic in its length; a StringIO appends.
                element.text = pieces = StringIO(held)
                pieces.seek(0, SEEK_END)
                pieces.write(text)
            else:
                held.write(text)

    def end(self, tag: str) -> None:
        if not self._in_body:
            self._depth -= 1
            return
        stack = self._stack
        element = stack.pop()
        if not stack:
            # The Body itself: it has no value of its own.
            self._in_body = False
            self._depth -= 1
            return
        text = element.text
        if text.__class__ is not str:
            text = element.text = text.getvalue()
        attrib = element.attrib
        children = element.children
        if children is None:
            nodes = 1
            value = self._leaf(attrib, text) if attrib else text
        else:
            nodes = COMPOUND_NODES
            value = self._compound(attrib, children)
        element.value = value
        parent = stack[-1]
        if len(stack) == 1:
            # A child of the Body: the first is the call or response, the
            # others can only be reached through their ids.
            if self.top is None:
                self.top = element
                # Its children become Call.params, a (name, value) tuple each.
                nodes += PARAM_NODES * (len(children) // 2 if children else 0)
                self._count(nodes)
                return
        else:
            local = self._locals.get(tag)
            if local is None:
                local = self._locals[tag] = local_name(tag)
            siblings = parent.children
            if siblings is None:
                parent.children = [local, value]
            else:
                siblings.append(local)
                siblings.append(value)
            if len(stack) == 2 and self.top is None and parent.tag == _FAULT and (
                    tag in ("faultcode", "faultstring")):
                # What a Fault says, as its first unqualified faultcode and
                # faultstring children's text.
                self.fault.setdefault(tag, text)
        if attrib and "id" in attrib and self.ids.get(attrib["id"]) is element:
            # Kept for hrefs until the end: only its value, its children
            # (should it be the call element's target) and whether it is nil;
            # an empty or nil leaf, as one element shared by all of them.
            nodes += ID_NODES
            if children is None and (value is None or value == ""):
                self.ids[attrib["id"]] = _NIL_LEAF if value is None else _EMPTY_LEAF
            else:
                element.tag = None
                element.text = ""
                element.attrib = _NIL_ATTRIBUTES if is_nil(attrib.get(XSI_NIL)) else _NO_ATTRIBUTES
        self._count(nodes)

    def _count(self, nodes: int) -> None:
        self.nodes += nodes
        if self.nodes > self._budget:
            # Raised inside the parse, which stops here: neither the memory
            # nor the time spent grows past the budget.
            raise too_many_nodes(self._budget, self.what)

    def close(self) -> _ReadEnvelope:
        return _ReadEnvelope(self.root_tag, self.bad_header, self.has_doctype, self.has_body,
                             self.top, self.ids, self.placeholders, self.fault)

    def _leaf(self, attrib: dict[str, str], text: str) -> Any:
        href = attrib.get("href")
        if href is not None:
            self.placeholders = True
            return _Ref(href)
        rule = leaf_rule(attrib.get(XSI_TYPE), attrib.get(XSI_NIL), ARRAY_TYPE in attrib, self.typed)
        if rule is None:
            return text
        try:
            return rule(text)
        except ClientFault as fault:
            self.placeholders = True
            return _Invalid(fault)

    def _compound(self, attrib: dict[str, str], children: list[Any]) -> Any:
        """The value of an element whose ``children`` are name, value, name, ..."""
        if attrib:
            href = attrib.get("href")
            if href is not None:
                self.placeholders = True
                return _Ref(href)
            if is_nil(attrib.get(XSI_NIL)):
                return None
            xsi_type = attrib.get(XSI_TYPE)
            if declared_array(xsi_type, ARRAY_TYPE in attrib):
                return children[1::2]
            if xsi_type is not None:
                return dict(zip(children[::2], children[1::2], strict=True))
        struct = dict(zip(children[::2], children[1::2], strict=True))
        if untyped_is_array(len(children) // 2, len(struct), children[0]):
            return children[1::2]
        return struct


class _CallReader(_Reader):
    """The reader of request envelopes: leaves are their text."""


class _ResponseReader(_Reader):
    """The reader of response envelopes: typed leaves (values.py)."""

    typed = True
    what = "the values in the response"


class _References:
    """Resolves the placeholders a _Reader left, in the order a walk from
    the call's parameters meets them: each multi-ref target once.

    Counts what the values expand to (see budget.py): every node it walks,
    and a resolved target's whole value each further time it is used.
    """

    def __init__(self, ids: dict[str, _Element], budget: int, what: str) -> None:
        self._ids = ids
        self._resolved: dict[str, Value] = {}
        self._resolving: list[str] = []
        self._sizes: dict[str, int] = {}
        self._budget = budget
        self._what = what
        self.nodes = 0

    def target(self, href: str) -> _Element:
        """The element ``href`` points at."""
        if not href.startswith("#"):
            raise ClientFault(f"href {shown(href)} does not point inside the envelope")
        target = self._ids.get(href[1:])
        if target is None:
            raise ClientFault(f"href {shown(href)} names no element with that id")
        return target

    def check(self) -> None:
        """Raise the budget's fault when the values expand beyond it."""
        if self.nodes > self._budget:
            raise too_many_nodes(self._budget, f"{self._what}, multi-refs expanded,")

    def value(self, value: Any) -> Value:
        """``value`` with every placeholder in it resolved."""
        if isinstance(value, list):
            self.nodes += COMPOUND_NODES if value else 1
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            self.nodes += COMPOUND_NODES if value else 1
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, _Ref):
            href = value.href
            if href in self._resolved:
                self.nodes += self._sizes[href]
                # Where a DAG of hrefs grows: its value is shared, but a walk
                # over the result would visit every node of it each time.
                self.check()
                return self._resolved[href]
            if href in self._resolving or len(self._resolving) >= _MAX_REF_DEPTH:
                raise ClientFault(f"href {shown(href)} forms a reference cycle")
            self._resolving.append(href)
            before = self.nodes
            try:
                resolved = self._resolved[href] = self.value(self.target(href).value)
            finally:
                self._resolving.pop()
            self._sizes[href] = self.nodes - before
            return resolved
        if isinstance(value, _Invalid):
            raise value.fault
        self.nodes += 1
        return value


def _bounded_nesting(decode: Callable[..., _T]) -> Callable[..., _T]:
    """Turn running out of stack on absurdly nested values into a ClientFault.

    libxml2 bounds element depth, but multi-refs chain nested subtrees into
    each other, so the resolution's recursion is bounded here instead.
    """

    @functools.wraps(decode)
    def wrapper(*args: Any, **kwargs: Any) -> _T:
        try:
            return decode(*args, **kwargs)
        except RecursionError:
            raise ClientFault("the values in the envelope are nested too deeply") from None

    return wrapper


def _read(data: bytes, reader: type[_Reader], max_bytes: int) -> _ReadEnvelope:
    """Parse ``data`` with ``reader``; raise the envelope's structural faults."""
    read: _ReadEnvelope = parse_xml_events(data, reader, max_bytes=max_bytes)
    if read.has_doctype:
        raise ClientFault("the XML document contains a DTD, which SOAP does not allow")
    if read.root_tag != _ENVELOPE:
        raise ClientFault(
            f"the root element is {shown(local_name(str(read.root_tag)))}, not a SOAP 1.1 "
            f"Envelope in namespace {SOAP_ENV}"
        )
    if read.bad_header is not None:
        raise ClientFault(f"header {shown(read.bad_header)} must be understood, and it is not")
    if not read.has_body:
        raise ClientFault("the SOAP Envelope has no Body")
    return read


def _pairs(children: list[Any] | None) -> list[tuple[str, Any]]:
    """An element's children as (local name, value) pairs."""
    if not children:
        return []
    return list(zip(children[::2], children[1::2], strict=True))


def _general_call(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Call:
    """decode_call without the fast path, whatever the document."""
    read = _read(data, _CallReader, max_bytes)
    call = read.top
    if call is None:
        raise ClientFault("the SOAP Body is empty; it must hold the call element")
    assert call.tag is not None
    qname = etree.QName(call.tag)
    references = _References(read.ids, node_budget(len(data)), _CallReader.what)
    href = call.attrib.get("href")
    if href is not None:
        call = references.target(href)
    params: list[tuple[str, Value]] = []
    if not is_nil(call.attrib.get(XSI_NIL)) and call.children:
        params = _pairs(call.children)
        if read.placeholders:
            params = [(name, references.value(value)) for name, value in params]
            references.check()
    return Call(namespace=qname.namespace, method=qname.localname, params=params)


class _WellFormed:
    """Parser target that only lets libxml2 check the document: no callbacks."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.has_doctype = False

    def begin(self, size: int) -> None:
        """Nothing is decoded here, so there is no budget to keep."""

    def doctype(self, *args: object) -> None:
        self.has_doctype = True

    def close(self) -> bool:
        """Whether the document had a DTD."""
        return self.has_doctype


def _soaplite_array_call(data: bytes, max_bytes: int) -> Call | None:
    """The call, when ``data`` is a SOAP::Lite array push (see soaplite.py)."""
    if len(data) < _FAST_PATH_BYTES or b"<item>" not in data:
        return None
    try:
        document = bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if parse_xml_events(data, _WellFormed, max_bytes=max_bytes):
        return None
    # The budget of the body's bytes, counted as the plain reader counts it:
    # a push beyond it gets that reader's fault.
    shape = soaplite.read(document, node_budget(len(data)))
    if shape is None:
        return None
    namespace, method, name, items = shape
    return Call(namespace=namespace, method=method, params=[(name, items)])


@_bounded_nesting
def decode_call(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Call:
    """Read an RPC request envelope; raise ClientFault when it is not one."""
    fast = _soaplite_array_call(data, max_bytes)
    if fast is not None:
        return fast
    return _general_call(data, max_bytes)


@_bounded_nesting
def decode_response(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Value:
    """Read an RPC response envelope and return its result value.

    Raises FaultReceived when the envelope holds a Fault, ClientFault when it
    is not a SOAP response at all.
    """
    read = _read(data, _ResponseReader, max_bytes)
    response = read.top
    if response is None:
        raise ClientFault("the SOAP Body of the response is empty")
    if response.tag == _FAULT:
        code = read.fault.get("faultcode") or "Server"
        message = read.fault.get("faultstring") or ""
        raise FaultReceived(type_local(code.strip()), message)
    if not response.children:
        return None
    result = response.children[1]
    if read.placeholders:
        references = _References(read.ids, node_budget(len(data)), _ResponseReader.what)
        result = references.value(result)
        references.check()
    return result
