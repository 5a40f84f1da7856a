"""How many values a body may decode to, in proportion to its size.

Every decoding path (the request reader, the SOAP::Lite fast path, which
counts exactly as the reader does, and the response decoder) counts the
nodes it makes against one budget, so that neither the decoder's memory nor
the work of whoever walks the result (a fault or a log line quoting a value)
grows faster than the body:

- what is read: every element of the Body counts one node, and more when
  it holds the Python objects that cost more memory than its text: a dict
  or list of its own (an element with child elements), an entry in the
  multi-ref index (an element with an id, kept until the end), a
  parameter's (name, value) pair;
- what the hrefs expand to: every node of a shared multi-ref target each
  time it is used, although the decoder shares one Python value between
  its uses, since a walk over the result (``repr``) visits it every time.

Neither may exceed one node per BYTES_PER_NODE bytes of body, with a floor
for small calls. ``<a/>``, the shortest element there is, takes four bytes,
so only bodies made throughout of elements far smaller than the objects
they cost come near the budget: their values would take about 8 bytes of
memory or more per byte of body. A SOAP::Lite push uses an eighth of it
(15 nodes in the 460 bytes of a record).
"""

from __future__ import annotations

from .exceptions import TooManyValues

BYTES_PER_NODE = 4
# A struct or array element: one node, plus its dict or list (180-230 bytes
# for a small dict, against 16 for an entry in its parent's list).
COMPOUND_NODES = 6
# What an element with an id adds: its id string and index entry, kept
# until the end of the document (about 100 bytes).
ID_NODES = 4
# A parameter of the call: its (name, value) tuple in Call.params.
PARAM_NODES = 2
# Small calls are never refused for their size: a few hundred shared
# multi-ref targets in a short body are legitimate and cost nothing.
MIN_NODES = 4096


def node_budget(body_bytes: int) -> int:
    """How many nodes the values of a ``body_bytes`` body may count."""
    return max(MIN_NODES, body_bytes // BYTES_PER_NODE)


def too_many_nodes(budget: int, what: str = "the values in the envelope") -> TooManyValues:
    """The fault for a body whose values exceed ``budget`` nodes."""
    return TooManyValues(
        f"{what} add up to more than {budget:,} nodes (one per {BYTES_PER_NODE} bytes of body; "
        "each use of a multi-ref target counts its whole value), more than its size allows"
    )
