"""SOAP 1.1 RPC/encoded envelopes: reading and writing.

Decoding is one tight walk over the element tree with no per-value generic
dispatch: scalars come out as ``str`` (the literal text, base64 decoded),
nil as ``None``, compounds as ``list`` (arrays) or ``dict`` (structs).
Whether a value is an int is for the reader of the field to decide
(PROTOCOL.md section 2: a value is read as the type its field needs), so the
server never trusts SOAP::Lite's autotyping. ``typed=True`` turns
``xsd:int``-like and ``xsd:boolean`` values into Python values, which is what
a client reading a response wants.

Encoding writes text directly; it is shaped as SOAP::Lite writes and expects
(arrays always carry ``SOAP-ENC:arrayType``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import gc
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from io import SEEK_END, StringIO
from typing import Any, TypeVar

from lxml import etree

from . import soaplite
from .budget import COMPOUND_NODES, ID_NODES, MIN_NODES, PARAM_NODES, node_budget, too_many_nodes
from .exceptions import ClientFault, FaultReceived
from .quoting import shown
from .safexml import DEFAULT_MAX_BYTES, parse_xml, parse_xml_events

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_ENC = "http://schemas.xmlsoap.org/soap/encoding/"
XSD = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_BODY = f"{{{SOAP_ENV}}}Body"
_HEADER = f"{{{SOAP_ENV}}}Header"
_FAULT = f"{{{SOAP_ENV}}}Fault"
_MUST_UNDERSTAND = f"{{{SOAP_ENV}}}mustUnderstand"
_XSI_TYPE = f"{{{XSI}}}type"
_XSI_NIL = f"{{{XSI}}}nil"
_ARRAY_TYPE = f"{{{SOAP_ENC}}}arrayType"

_TRUE_WORDS = frozenset({"true", "1"})
_BASE64_TYPES = frozenset({"base64Binary", "base64"})
_INT_TYPES = frozenset(
    {"int", "long", "short", "byte", "integer", "unsignedInt", "unsignedLong",
     "unsignedShort", "unsignedByte", "nonNegativeInteger", "positiveInteger",
     "negativeInteger", "nonPositiveInteger"}
)
_FLOAT_TYPES = frozenset({"float", "double", "decimal"})
# Multi-ref chains deeper than this are hostile (or cyclic).
_MAX_REF_DEPTH = 64

_T = TypeVar("_T")
# Below this size a push is parsed once, by the general decoder; above it the
# SOAP::Lite fast path's extra well-formedness pass pays for itself.
_FAST_PATH_BYTES = 16 * 1024
Value = str | int | float | bool | bytes | None | list["Value"] | dict[str, "Value"]


@dataclass(frozen=True, slots=True)
class Call:
    """An RPC call read from a request envelope."""

    namespace: str | None
    method: str
    params: list[tuple[str, Value]]


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _type_local(xsi_type: str) -> str:
    # Prefix resolution is not needed: the local part alone tells every type
    # this protocol uses, whatever prefix the sender chose.
    return xsi_type.rpartition(":")[2]


def _decode_base64(text: str | None) -> str:
    try:
        raw = base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise ClientFault("a base64Binary value is not valid base64") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # PROTOCOL.md: base64 bytes that are not UTF-8 are ISO-8859-1.
        return raw.decode("latin-1")


class _Decoder:
    """Walks one envelope's elements; holds the multi-ref index.

    Counts the nodes of what it returns against ``budget`` (see budget.py),
    a shared multi-ref target every time it is used.
    """

    __slots__ = ("_body", "_budget", "_ids", "_resolved", "_resolving", "_sizes", "nodes", "typed")

    def __init__(self, body: etree._Element, typed: bool, budget: int) -> None:
        self._body = body
        self._ids: dict[str, etree._Element] | None = None
        # Each multi-ref target is decoded once: hrefs pointing many times at
        # elements that themselves hold many hrefs would otherwise cost work
        # exponential in the size of the document.
        self._resolved: dict[str, Value] = {}
        self._resolving: list[str] = []
        # How many nodes each resolved target's value stands for, so that
        # every further use of it counts them without walking them again.
        self._sizes: dict[str, int] = {}
        self._budget = budget
        self.nodes = 0
        self.typed = typed

    def _count(self, nodes: int) -> None:
        self.nodes += nodes
        self.check()

    def check(self) -> None:
        """Raise the budget's fault when the values counted exceed it."""
        if self.nodes > self._budget:
            raise too_many_nodes(self._budget, "the values in the response")

    def _target(self, href: str) -> etree._Element:
        if not href.startswith("#"):
            raise ClientFault(f"href {shown(href)} does not point inside the envelope")
        if self._ids is None:
            self._ids = {}
            for el in self._body.iter():
                ident = el.get("id")
                if ident is not None and isinstance(el.tag, str):
                    self._ids.setdefault(ident, el)
            self._count(len(self._ids) * ID_NODES)
        target = self._ids.get(href[1:])
        if target is None:
            raise ClientFault(f"href {shown(href)} names no element with that id")
        return target

    def value(self, el: etree._Element) -> Value:
        href = el.get("href")
        if href is not None:
            if href in self._resolved:
                self._count(self._sizes[href])
                return self._resolved[href]
            if href in self._resolving or len(self._resolving) >= _MAX_REF_DEPTH:
                raise ClientFault(f"href {shown(href)} forms a reference cycle")
            self._resolving.append(href)
            before = self.nodes
            try:
                resolved = self._resolved[href] = self.value(self._target(href))
            finally:
                self._resolving.pop()
            self._sizes[href] = self.nodes - before
            return resolved
        nil = el.get(_XSI_NIL)
        if nil is not None and nil.strip() in _TRUE_WORDS:
            self.nodes += 1
            return None
        xsi_type = el.get(_XSI_TYPE)
        if len(el):
            self.nodes += COMPOUND_NODES
            return self._compound(el, xsi_type)
        self.nodes += 1
        if xsi_type is None:
            if el.get(_ARRAY_TYPE) is not None:
                return []
            return el.text or ""
        kind = _type_local(xsi_type)
        if kind in _BASE64_TYPES:
            return _decode_base64(el.text)
        if kind == "Array":
            return []
        if kind.endswith("Struct"):
            return {}
        text = el.text or ""
        if self.typed:
            return _typed_scalar(kind, text)
        return text

    def _compound(self, el: etree._Element, xsi_type: str | None) -> list[Value] | dict[str, Value]:
        children = [c for c in el if isinstance(c.tag, str)]
        is_array = el.get(_ARRAY_TYPE) is not None or (
            xsi_type is not None and _type_local(xsi_type) == "Array"
        )
        if not is_array and xsi_type is None:
            # An untyped compound: SOAP::Lite's arrays always carry a type,
            # but other senders may write bare <item> lists.
            names = [_local(c.tag) for c in children]
            is_array = len(set(names)) < len(names) or (bool(names) and names[0] == "item" and
                                                          all(n == "item" for n in names))
        value = self.value
        if is_array:
            return [value(c) for c in children]
        return {_local(c.tag): value(c) for c in children}


def _typed_scalar(kind: str, text: str) -> Value:
    if kind in _INT_TYPES:
        try:
            return int(text.strip())
        except ValueError:
            raise ClientFault(f"{shown(text)} is not a valid xsd:{kind}") from None
    if kind == "boolean":
        word = text.strip()
        if word in ("true", "1"):
            return True
        if word in ("false", "0"):
            return False
        raise ClientFault(f"{shown(text)} is not a valid xsd:boolean")
    if kind in _FLOAT_TYPES:
        try:
            return float(text.strip())
        except ValueError:
            raise ClientFault(f"{shown(text)} is not a valid xsd:{kind}") from None
    return text


def _body_of(root: etree._Element) -> etree._Element:
    if root.tag != _ENVELOPE:
        raise ClientFault(
            f"the root element is {shown(_local(str(root.tag)))}, not a SOAP 1.1 Envelope "
            f"in namespace {SOAP_ENV}"
        )
    body = None
    for child in root:
        if child.tag == _HEADER:
            for entry in child:
                if isinstance(entry.tag, str) and entry.get(_MUST_UNDERSTAND, "0").strip() == "1":
                    raise ClientFault(
                        f"header {shown(_local(entry.tag))} must be understood, and it is not"
                    )
        elif child.tag == _BODY:
            body = child
    if body is None:
        raise ClientFault("the SOAP Envelope has no Body")
    return body


def _first_element(parent: etree._Element) -> etree._Element | None:
    for child in parent:
        if isinstance(child.tag, str):
            return child
    return None


def _bounded_nesting(decode: Callable[..., _T]) -> Callable[..., _T]:
    """Turn running out of stack on absurdly nested values into a ClientFault.

    libxml2 bounds element depth, but multi-refs chain nested subtrees into
    each other, so the decoder's recursion is bounded here instead.
    """

    @functools.wraps(decode)
    def wrapper(*args: Any, **kwargs: Any) -> _T:
        try:
            return decode(*args, **kwargs)
        except RecursionError:
            raise ClientFault("the values in the envelope are nested too deeply") from None

    return wrapper


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


# An element being read, as a list for speed: its tag, attributes, element
# children (None until the first), text, value. The children are one flat
# list, local name and value in turn: a (name, value) tuple per child would
# cost 64 bytes more for each, which is most of what an empty element costs.
_TAG, _ATTRIB, _CHILDREN, _TEXT, _VALUE = range(5)
_Frame = list
_NO_ATTRIBUTES: dict[str, str] = {}
_NIL_ATTRIBUTES = {_XSI_NIL: "true"}
# What an href needs of an element with an id that ended as an empty string
# or nil and holds no children: never changed, so shared by all of them.
_EMPTY_LEAF: _Frame = [None, _NO_ATTRIBUTES, None, "", ""]
_NIL_LEAF: _Frame = [None, _NIL_ATTRIBUTES, None, "", None]


@dataclass(frozen=True, slots=True)
class _ReadEnvelope:
    """What a _CallReader found in one document."""

    root_tag: str | None
    bad_header: str | None
    has_doctype: bool
    has_body: bool
    # The Body's first element (None when it has none) and the multi-ref
    # targets by id, both of the last Body.
    call: _Frame | None
    ids: dict[str, _Frame]
    placeholders: bool


class _CallReader:
    """lxml parser target reading a request envelope in one pass, no tree built.

    Every element of the Body gets its value when it ends, bottom-up, by the
    rules of ``_Decoder.value``; what the lazy tree walk would only meet when
    it reaches an element (hrefs, unreadable values) is left as a _Ref or
    _Invalid placeholder and settled afterwards in the same order. Structural
    faults are noted and raised once the parse is over, so that malformed XML
    is reported as such wherever it is. The one exception is the node budget
    (budget.py): the parse stops as soon as the values exceed it.

    Only what the call can still reach is kept: the call element, the
    elements with an id (cut down to what an href needs), and the values
    inside them; the other elements of the Body are dropped as they end.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the last document (the reader is reused, see safexml)."""
        self.root_tag: str | None = None
        self.bad_header: str | None = None
        self.has_doctype = False
        self.has_body = False
        self.call: _Frame | None = None
        self.ids: dict[str, _Frame] = {}
        self.placeholders = False
        self.nodes = 0
        self._budget = MIN_NODES
        self._stack: list[_Frame] = []
        self._depth = 0
        self._header = False
        self._in_body = False
        self._locals: dict[str, str] = {}
        self._kinds: dict[str, str] = {}

    def begin(self, size: int) -> None:
        self._budget = node_budget(size)

    def doctype(self, *args: object) -> None:
        self.has_doctype = True

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self._in_body:
            # lxml hands attribute-less elements an immutable mapping whose
            # lookups are slow Python; a shared empty dict answers the same.
            frame = [tag, attrib if attrib else _NO_ATTRIBUTES, None, "", None]
            if attrib and "id" in attrib and attrib["id"] not in self.ids:
                self.ids[attrib["id"]] = frame
            self._stack.append(frame)
            return
        depth = self._depth
        self._depth = depth + 1
        if depth == 0:
            self.root_tag = tag
        elif depth == 1:
            self._header = tag == _HEADER
            if tag == _BODY:
                # The last Body counts, with only its own ids (as _body_of).
                self._in_body = True
                self.has_body = True
                self.call = None
                self.ids = {}
                body = [tag, _NO_ATTRIBUTES, None, "", None]
                ident = attrib.get("id")
                if ident is not None:
                    # Only the Body's own content can point at the Body: a
                    # cycle, as the tree walk finds it.
                    body[_VALUE] = _Invalid(ClientFault(
                        f"href {shown('#' + ident)} forms a reference cycle"))
                    self.ids[ident] = body
                self._stack.append(body)
        elif depth == 2 and self._header and self.bad_header is None and (
            attrib.get(_MUST_UNDERSTAND, "0").strip() == "1"
        ):
            self.bad_header = _local(tag)

    def data(self, text: str) -> None:
        if self._in_body:
            frame = self._stack[-1]
            held = frame[_TEXT]
            if not held:
                frame[_TEXT] = text
            elif held.__class__ is str:
                # Text arrives in pieces (around every character reference):
                # adding each to a string would copy the whole text each time,
                # quadratic in its length; a StringIO appends.
                frame[_TEXT] = pieces = StringIO(held)
                pieces.seek(0, SEEK_END)
                pieces.write(text)
            else:
                held.write(text)

    def end(self, tag: str) -> None:
        if not self._in_body:
            self._depth -= 1
            return
        stack = self._stack
        frame = stack.pop()
        if not stack:
            # The Body itself: it has no value of its own.
            self._in_body = False
            self._depth -= 1
            return
        text = frame[_TEXT]
        if text.__class__ is not str:
            text = frame[_TEXT] = text.getvalue()
        attrib = frame[_ATTRIB]
        children = frame[_CHILDREN]
        if children is None:
            nodes = 1
            if len(attrib) == 1 and _XSI_TYPE in attrib:
                # The common case, a typed scalar: the rules of _value, shortened.
                kind = self._kinds.get(attrib[_XSI_TYPE])
                value = text if kind == "string" else self._value(frame)
            else:
                value = self._value(frame)
        else:
            nodes = COMPOUND_NODES
            value = self._value(frame)
        frame[_VALUE] = value
        parent = stack[-1]
        if len(stack) == 1:
            # A child of the Body: the first is the call, the others can only
            # be reached through their ids.
            if self.call is None:
                self.call = frame
                # Its children become Call.params, a (name, value) tuple each.
                nodes += PARAM_NODES * (len(children) // 2 if children else 0)
                self._count(nodes)
                return
        else:
            local = self._locals.get(tag)
            if local is None:
                local = self._locals[tag] = tag.rpartition("}")[2]
            siblings = parent[_CHILDREN]
            if siblings is None:
                parent[_CHILDREN] = [local, value]
            else:
                siblings.append(local)
                siblings.append(value)
        if attrib and "id" in attrib and self.ids.get(attrib["id"]) is frame:
            # Kept for hrefs until the end: only its value, its children
            # (should it be the call element's target) and whether it is nil;
            # an empty or nil leaf, as one frame shared by all of them.
            nodes += ID_NODES
            if children is None and (value is None or value == ""):
                self.ids[attrib["id"]] = _NIL_LEAF if value is None else _EMPTY_LEAF
            else:
                frame[_TAG] = None
                frame[_TEXT] = ""
                nil = attrib.get(_XSI_NIL)
                frame[_ATTRIB] = _NIL_ATTRIBUTES if (
                    nil is not None and nil.strip() in _TRUE_WORDS) else _NO_ATTRIBUTES
        self._count(nodes)

    def _count(self, nodes: int) -> None:
        self.nodes += nodes
        if self.nodes > self._budget:
            # Raised inside the parse, which stops here: neither the memory
            # nor the time spent grows past the budget.
            raise too_many_nodes(self._budget)

    def close(self) -> _ReadEnvelope:
        return _ReadEnvelope(self.root_tag, self.bad_header, self.has_doctype, self.has_body,
                             self.call, self.ids, self.placeholders)

    def _value(self, frame: _Frame) -> Value:
        attrib = frame[_ATTRIB]
        if attrib:
            href = attrib.get("href")
            if href is not None:
                self.placeholders = True
                return _Ref(href)  # type: ignore[return-value]
            nil = attrib.get(_XSI_NIL)
            if nil is not None and nil.strip() in _TRUE_WORDS:
                return None
            xsi_type = attrib.get(_XSI_TYPE)
        else:
            xsi_type = None
        children = frame[_CHILDREN]
        if children is not None:
            return self._compound(attrib, children, xsi_type)
        text = frame[_TEXT]
        if xsi_type is None:
            if attrib.get(_ARRAY_TYPE) is not None:
                return []
            return text
        kind = self._kinds.get(xsi_type)
        if kind is None:
            kind = self._kinds[xsi_type] = _type_local(xsi_type)
        if kind in _BASE64_TYPES:
            try:
                return _decode_base64(text)
            except ClientFault as fault:
                self.placeholders = True
                return _Invalid(fault)  # type: ignore[return-value]
        if kind == "Array":
            return []
        if kind.endswith("Struct"):
            return {}
        return text

    @staticmethod
    def _compound(attrib: dict[str, str], children: list[Any],
                  xsi_type: str | None) -> list[Value] | dict[str, Value]:
        """The value of an element whose ``children`` are name, value, name, ..."""
        is_array = attrib.get(_ARRAY_TYPE) is not None or (
            xsi_type is not None and _type_local(xsi_type) == "Array"
        )
        if not is_array and xsi_type is None:
            # An untyped compound: SOAP::Lite's arrays always carry a type,
            # but other senders may write bare <item> lists: repeated names,
            # or a lone <item>.
            struct = dict(zip(children[::2], children[1::2], strict=True))
            if len(struct) * 2 == len(children) and not (
                len(children) == 2 and children[0] == "item"
            ):
                return struct
            is_array = True
        if is_array:
            return children[1::2]
        return dict(zip(children[::2], children[1::2], strict=True))


def _pairs(children: list[Any] | None) -> list[tuple[str, Value]]:
    """A _CallReader frame's children as (local name, value) pairs."""
    if not children:
        return []
    return list(zip(children[::2], children[1::2], strict=True))


class _Settle:
    """Replaces the placeholders a _CallReader left, in the lazy walk's order.

    Counts what the values expand to (see budget.py): every node it walks,
    and a resolved target's whole value each further time it is used.
    """

    def __init__(self, ids: dict[str, _Frame], budget: int) -> None:
        self._ids = ids
        self._resolved: dict[str, Value] = {}
        self._resolving: list[str] = []
        self._sizes: dict[str, int] = {}
        self._budget = budget
        self.nodes = 0

    def target(self, href: str) -> _Frame:
        if not href.startswith("#"):
            raise ClientFault(f"href {shown(href)} does not point inside the envelope")
        target = self._ids.get(href[1:])
        if target is None:
            raise ClientFault(f"href {shown(href)} names no element with that id")
        return target

    def check(self) -> None:
        """Raise the budget's fault when the values expand beyond it."""
        if self.nodes > self._budget:
            raise too_many_nodes(self._budget, "the values in the envelope, multi-refs expanded,")

    def value(self, value: Value) -> Value:
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
                resolved = self._resolved[href] = self.value(self.target(href)[_VALUE])
            finally:
                self._resolving.pop()
            self._sizes[href] = self.nodes - before
            return resolved
        if isinstance(value, _Invalid):
            raise value.fault
        self.nodes += 1
        return value


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
    try:
        # The budget of the body's bytes, counted as the general decoder
        # counts it: a push beyond it gets that decoder's fault.
        shape = soaplite.read(document, node_budget(len(data)))
    except soaplite.Unreadable as exc:
        raise ClientFault(str(exc)) from None
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


def _general_call(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Call:
    """decode_call without the fast path, whatever the document."""
    # The reader makes a Python object or two per element and none of them
    # holds a cycle: the cyclic collector, which a push of millions of
    # elements would start hundreds of times over a growing heap, has nothing
    # to find (soaplite.read does the same).
    collecting = gc.isenabled()
    gc.disable()
    try:
        reader: _ReadEnvelope = parse_xml_events(data, _CallReader, max_bytes=max_bytes)
    finally:
        if collecting:
            gc.enable()
    if reader.has_doctype:
        raise ClientFault("the XML document contains a DTD, which SOAP does not allow")
    if reader.root_tag != _ENVELOPE:
        raise ClientFault(
            f"the root element is {shown(_local(str(reader.root_tag)))}, not a SOAP 1.1 Envelope "
            f"in namespace {SOAP_ENV}"
        )
    if reader.bad_header is not None:
        raise ClientFault(f"header {shown(reader.bad_header)} must be understood, and it is not")
    if not reader.has_body:
        raise ClientFault("the SOAP Envelope has no Body")
    call_el = reader.call
    if call_el is None:
        raise ClientFault("the SOAP Body is empty; it must hold the call element")
    qname = etree.QName(call_el[_TAG])
    settle = _Settle(reader.ids, node_budget(len(data)))
    href = call_el[_ATTRIB].get("href")
    if href is not None:
        call_el = settle.target(href)
    params: list[tuple[str, Value]] = []
    nil = call_el[_ATTRIB].get(_XSI_NIL)
    if not (nil is not None and nil.strip() in _TRUE_WORDS) and call_el[_CHILDREN]:
        params = _pairs(call_el[_CHILDREN])
        if reader.placeholders:
            params = [(name, settle.value(value)) for name, value in params]
            settle.check()
    return Call(namespace=qname.namespace, method=qname.localname, params=params)


@_bounded_nesting
def decode_response(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Value:
    """Read an RPC response envelope and return its result value.

    Raises FaultReceived when the envelope holds a Fault, ClientFault when it
    is not a SOAP response at all.
    """
    body = _body_of(parse_xml(data, max_bytes=max_bytes))
    response = _first_element(body)
    if response is None:
        raise ClientFault("the SOAP Body of the response is empty")
    if response.tag == _FAULT:
        code = response.findtext("faultcode") or "Server"
        message = response.findtext("faultstring") or ""
        raise FaultReceived(_type_local(code.strip()), message)
    result = _first_element(response)
    if result is None:
        return None
    decoder = _Decoder(body, typed=True, budget=node_budget(len(data)))
    value = decoder.value(result)
    decoder.check()
    return value


# --- encoding -----------------------------------------------------------------

_XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>'
_ENVELOPE_OPEN = (
    f'<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:soapenc="{SOAP_ENC}" '
    f'xmlns:xsd="{XSD}" xmlns:xsi="{XSI}" soap:encodingStyle="{SOAP_ENC}"><soap:Body>'
)
_ENVELOPE_CLOSE = "</soap:Body></soap:Envelope>"
# Characters XML 1.0 cannot carry at all; a string holding one goes as base64.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;", "\n": "&#10;",
     "\t": "&#9;"}
)
_INT32 = range(-(2**31), 2**31)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")


def escape_text(text: str) -> str:
    """Escape ``text`` for element content so that it parses back unchanged."""
    return text.translate(_ESCAPES)


def _attr(text: str) -> str:
    return text.translate(_ATTR_ESCAPES)


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"{shown(name)} cannot be used as an XML element name")
    return name


def _scalar_type(value: Any) -> str:
    if isinstance(value, bool):
        return "xsd:boolean"
    if isinstance(value, int):
        return "xsd:int" if value in _INT32 else "xsd:long"
    if isinstance(value, float):
        return "xsd:double"
    if isinstance(value, bytes):
        return "xsd:base64Binary"
    if isinstance(value, str):
        return "xsd:base64Binary" if _NOT_XML_CHAR.search(value) else "xsd:string"
    return "xsd:anyType"


def _item_type(items: list[Any]) -> str:
    kinds = {_scalar_type(item) for item in items}
    if len(kinds) == 1:
        kind = kinds.pop()
        if kind != "xsd:anyType":
            return kind
    if kinds <= {"xsd:int", "xsd:long"} and kinds:
        return "xsd:long"
    return "xsd:anyType"


def encode_value(name: str, value: Any, out: list[str]) -> None:
    """Append the encoding of ``value`` as element ``name`` to ``out``."""
    if value is None:
        out.append(f'<{name} xsi:nil="true"/>')
    elif isinstance(value, bool):
        out.append(f'<{name} xsi:type="xsd:boolean">{"true" if value else "false"}</{name}>')
    elif isinstance(value, int):
        kind = "xsd:int" if value in _INT32 else "xsd:long"
        out.append(f'<{name} xsi:type="{kind}">{value}</{name}>')
    elif isinstance(value, str):
        if _NOT_XML_CHAR.search(value):
            encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
            out.append(f'<{name} xsi:type="xsd:base64Binary">{encoded}</{name}>')
        else:
            out.append(f'<{name} xsi:type="xsd:string">{value.translate(_ESCAPES)}</{name}>')
    elif isinstance(value, bytes | bytearray):
        encoded = base64.b64encode(bytes(value)).decode("ascii")
        out.append(f'<{name} xsi:type="xsd:base64Binary">{encoded}</{name}>')
    elif isinstance(value, float):
        out.append(f'<{name} xsi:type="xsd:double">{value!r}</{name}>')
    elif isinstance(value, dict):
        # Typed, so that an empty struct is not read back as an empty string
        # nor a struct whose one field is named "item" as an array.
        out.append(f'<{name} xsi:type="soapenc:Struct">')
        for key, item in value.items():
            encode_value(_check_name(str(key)), item, out)
        out.append(f"</{name}>")
    elif isinstance(value, list | tuple):
        items = list(value)
        out.append(
            f'<{name} xsi:type="soapenc:Array" soapenc:arrayType="{_item_type(items)}[{len(items)}]">'
        )
        for item in items:
            encode_value("item", item, out)
        out.append(f"</{name}>")
    else:
        raise TypeError(f"cannot encode a value of type {type(value).__name__}")


def _call_open(namespace: str | None, element: str) -> tuple[str, str]:
    _check_name(element)
    if namespace:
        return f'<{element} xmlns="{_attr(namespace)}">', f"</{element}>"
    return f"<{element}>", f"</{element}>"


def wrap_body(inner: str) -> bytes:
    """A complete envelope whose Body holds ``inner`` (already XML)."""
    return f"{_XML_DECL}{_ENVELOPE_OPEN}{inner}{_ENVELOPE_CLOSE}".encode()


def encode_call(
    namespace: str | None, method: str, params: Iterable[tuple[str, Any]]
) -> bytes:
    """Write a request envelope shaped as SOAP::Lite writes one.

    ``params`` are (element name, value) pairs in positional order.
    """
    params = list(params)
    if not params:
        ns = f' xmlns="{_attr(namespace)}"' if namespace else ""
        call = f'<{_check_name(method)}{ns} xsi:nil="true"/>'
        return (_XML_DECL + _ENVELOPE_OPEN + call + _ENVELOPE_CLOSE).encode("utf-8")
    opening, closing = _call_open(namespace, method)
    out = [_XML_DECL, _ENVELOPE_OPEN, opening]
    for name, value in params:
        encode_value(_check_name(name), value, out)
    out.append(closing)
    out.append(_ENVELOPE_CLOSE)
    return "".join(out).encode("utf-8")


def iter_encode_call(
    namespace: str | None, method: str, params: Iterable[tuple[str, Any]], *, items_per_chunk: int = 200
) -> Iterator[bytes]:
    """``encode_call`` in chunks: array parameters are written a few items at a time.

    The chunks joined are exactly ``encode_call``'s bytes; a client pushing a
    large array streams them instead of holding the whole request as one string.
    """
    params = list(params)
    if not params:
        yield encode_call(namespace, method, params)
        return
    opening, closing = _call_open(namespace, method)
    out = [_XML_DECL, _ENVELOPE_OPEN, opening]
    for name, value in params:
        if not isinstance(value, list | tuple):
            encode_value(_check_name(name), value, out)
            continue
        items = list(value)
        out.append(
            f'<{_check_name(name)} xsi:type="soapenc:Array" '
            f'soapenc:arrayType="{_item_type(items)}[{len(items)}]">'
        )
        for start in range(0, len(items), items_per_chunk):
            for item in items[start:start + items_per_chunk]:
                encode_value("item", item, out)
            yield "".join(out).encode("utf-8")
            out.clear()
        out.append(f"</{name}>")
    out.append(closing)
    out.append(_ENVELOPE_CLOSE)
    yield "".join(out).encode("utf-8")


def encode_response(namespace: str | None, method: str, result: Any) -> bytes:
    """Write the RPC response to ``method`` holding ``result``."""
    element = f"{method}Response"
    if namespace:
        opening = f'<m:{_check_name(element)} xmlns:m="{_attr(namespace)}">'
        closing = f"</m:{element}>"
    else:
        opening, closing = f"<{_check_name(element)}>", f"</{element}>"
    out = [_XML_DECL, _ENVELOPE_OPEN, opening]
    encode_value("result", result, out)
    out.append(closing)
    out.append(_ENVELOPE_CLOSE)
    return "".join(out).encode("utf-8")


def iter_int_array_response(
    namespace: str | None, method: str, values: Iterable[int], count: int,
    item_type: str = "xsd:int",
) -> Iterator[bytes]:
    """Write an integer array response (``item_type[count]``) in chunks.

    Used for results that may hold hundreds of thousands of ids, so that no
    intermediate list of per-item strings is built.
    """
    element = f"{method}Response"
    if namespace:
        opening = f'<m:{_check_name(element)} xmlns:m="{_attr(namespace)}">'
        closing = f"</m:{element}>"
    else:
        opening, closing = f"<{_check_name(element)}>", f"</{element}>"
    yield (
        f'{_XML_DECL}{_ENVELOPE_OPEN}{opening}<result xsi:type="soapenc:Array" '
        f'soapenc:arrayType="{item_type}[{count}]">'
    ).encode("ascii")
    item_open = f'<item xsi:type="{item_type}">'
    chunk: list[str] = []
    for value in values:
        chunk.append(f"{item_open}{int(value)}</item>")
        if len(chunk) >= 8192:
            yield "".join(chunk).encode("ascii")
            chunk.clear()
    if chunk:
        yield "".join(chunk).encode("ascii")
    yield f"</result>{closing}{_ENVELOPE_CLOSE}".encode("ascii")
