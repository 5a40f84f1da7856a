"""The one entry point through which untrusted XML is parsed.

Entities are never expanded, no DTD is loaded or accepted, the network is
never touched and libxml2's own size/depth limits stay on (no huge_tree).
"""

import threading
from typing import Any, Protocol, TypeVar

from lxml import etree

from .exceptions import ClientFault
from .quoting import cut

# libxml2's messages quote names from the document, which may be 50,000
# characters long.
_ERROR_CHARACTERS = 200

DEFAULT_MAX_BYTES = 32 * 1024 * 1024


def _parser(target: Any = None) -> etree.XMLParser:
    return etree.XMLParser(
        target=target,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def _check_data(data: bytes, max_bytes: int) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ClientFault("the request body must be bytes")
    if len(data) > max_bytes:
        raise ClientFault(f"the XML document is larger than {max_bytes} bytes")
    # Only a body that starts with whitespace is copied to see whether it
    # is nothing else: a large one is not copied just to be looked at.
    if not data or (data[0] in b" \t\n\r\x0b\x0c" and not bytes(data).strip()):
        raise ClientFault("the request body is empty; a SOAP envelope was expected")
    # A DTD has no place in SOAP (SOAP 1.1 section 3); refusing it before
    # parsing means entity declarations are never even read.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ClientFault("the XML document contains a DTD, which SOAP does not allow")


def _parse(data: bytes, parser: etree.XMLParser) -> Any:
    try:
        root = etree.fromstring(bytes(data), parser)
    except etree.XMLSyntaxError as exc:
        raise ClientFault(
            f"the request is not well-formed XML: {cut(str(exc), _ERROR_CHARACTERS)}") from None
    except ValueError as exc:
        raise ClientFault(
            f"the request could not be read as XML: {cut(str(exc), _ERROR_CHARACTERS)}") from None
    if root is None:
        raise ClientFault("the request is not an XML document")
    # libxml2 only raises for its last error: a namespace error (an invalid
    # namespace URI) followed by a mere warning would otherwise get through,
    # and be echoed into a response that no parser accepts.
    errors = parser.error_log.filter_from_errors()
    if errors:
        raise ClientFault(
            f"the request is not well-formed XML: {cut(errors[0].message, _ERROR_CHARACTERS)}")
    return root


class ReusableTarget(Protocol):
    """An lxml parser target that serves document after document.

    ``begin()`` is told the size in bytes of each document before it is
    parsed; ``close()`` returns the result, which must not change when
    ``reset()`` then clears the target for the next document.
    """

    def begin(self, size: int) -> None: ...

    def reset(self) -> None: ...

    def close(self) -> Any: ...


_Target = TypeVar("_Target", bound=ReusableTarget)
# One parser and target per thread and target type, reused: lxml inspects a
# new target's callbacks (inspect.getfullargspec) whenever a parser is made
# for it, which cost a small envelope as much as parsing it. lxml parsers
# must not be shared between threads.
_reusable = threading.local()


def parse_xml_events(data: bytes, target_type: type[_Target], *,
                     max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Parse ``data`` into a ``target_type`` target (lxml's parser-target
    interface) and return what its ``close()`` returns; no tree is built.

    The caller must refuse a document whose target saw ``doctype()``.
    """
    _check_data(data, max_bytes)
    idle = _reusable.__dict__.setdefault("idle", {})
    # Taken out while in use, so that a parse started during this one (none
    # does today) gets a parser of its own.
    entry = idle.pop(target_type, None)
    if entry is None:
        target = target_type()
        entry = (_parser(target), target)
    parser, target = entry
    try:
        target.begin(len(data))
        return _parse(data, parser)
    finally:
        # Whatever the outcome, the target lets go of this document's data.
        target.reset()
        idle[target_type] = entry
