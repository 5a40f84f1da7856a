"""``python -m benchmarks.decoder``: the request decoder alone, in this process.

Two figures the server benchmark cannot separate from the database work:

- seconds to decode SOAP::Lite-shaped ``alter_contacts`` pushes (best of
  ``--repeat``), the fast path's share of a call;
- peak RSS of a fresh interpreter that decodes one hostile body (each in its
  own subprocess, its VmHWM after the decode and before it), against
  the size of that body: the 32 MB push of empty ``<m id="n"/>`` elements
  inside the array, the same with ``<item/>``, and multi-ref DAGs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time

from extdesk.soap.envelope import decode_call

from .payloads import _EPILOGUE, _PROLOGUE, alter_contacts_body, people

_ARRAY_OPEN = ('<alter_contacts xmlns="urn:HSPC/ExternalHelpdesk">'
               '<soapenc:Array soapenc:arrayType="xsd:anyType[1]" xsi:type="soapenc:Array">')
_ARRAY_CLOSE = "</soapenc:Array></alter_contacts>"


def empty_elements_body(size: int, element: str = '<m id="{n}"/>') -> bytes:
    """An ``alter_contacts`` push of at most ``size`` bytes: its array holds
    ``element`` (``{n}`` numbered from 0) over and over."""
    head = _PROLOGUE + _ARRAY_OPEN
    tail = _ARRAY_CLOSE + _EPILOGUE
    out = [head]
    used = len(head) + len(tail)
    n = 0
    while True:
        piece = element.format(n=n)
        if used + len(piece) > size:
            break
        out.append(piece)
        used += len(piece)
        n += 1
    out.append(tail)
    return "".join(out).encode("ascii")


def dag_nodes(depth: int = 24, fan_out: int = 2) -> str:
    """Multi-ref targets r0 ... r<depth>: each holds ``fan_out`` hrefs to the
    next, so that ``#r0`` stands for fan_out**depth leaves."""
    return "".join(
        f'<r id="r{i}" xsi:type="soapenc:Array">' + f'<item href="#r{i + 1}"/>' * fan_out + "</r>"
        for i in range(depth)
    ) + f'<r id="r{depth}" xsi:type="xsd:string">add</r>'


def dag_body(depth: int = 24, fan_out: int = 2) -> bytes:
    """init_session whose ``act`` is ``#r0`` of dag_nodes()."""
    call = ('<init_session xmlns="urn:HSPC/ExternalHelpdesk">'
            '<c-gensym10 xsi:type="xsd:int">1</c-gensym10>'
            '<c-gensym12 xsi:type="xsd:string">192.0.2.1</c-gensym12>'
            '<c-gensym14 href="#r0"/></init_session>')
    return (_PROLOGUE + call + dag_nodes(depth, fan_out) + _EPILOGUE).encode("ascii")


_HOSTILE = {
    "empty <m id> elements, 32 MB": lambda: empty_elements_body(32 * 1024 * 1024),
    "empty <item/> elements, 32 MB": lambda: empty_elements_body(32 * 1024 * 1024, "<item/>"),
    "<item><a/></item>, 32 MB": lambda: empty_elements_body(32 * 1024 * 1024,
                                                             "<item><a/></item>"),
    "<a/> elements, 32 MB": lambda: empty_elements_body(32 * 1024 * 1024, "<a/>"),
    "<item><a>1</a><b>2</b></item>, 32 MB": lambda: empty_elements_body(
        32 * 1024 * 1024, "<item><a>1</a><b>2</b></item>"),
    "multi-ref DAG 2x24": lambda: dag_body(),
}

# The child reads its peak from /proc (VmHWM, this process's own): the
# ru_maxrss of getrusage() carries the parent's peak over fork and exec.
_CHILD = """
import json, sys, time
from extdesk.soap.envelope import decode_call
from extdesk.soap.exceptions import ClientFault
def peak_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
with open(sys.argv[1], "rb") as file:
    body = file.read()
before = peak_kib()
started = time.monotonic()
try:
    call = decode_call(body, max_bytes=len(body) + 1)
    outcome = "decoded"
except ClientFault as fault:
    outcome = "ClientFault: " + fault.message[:70] + "..."
took = time.monotonic() - started
after = peak_kib()
print(json.dumps({"bytes": len(body), "before_kib": before, "after_kib": after,
                  "seconds": took, "outcome": outcome}))
"""


def peak_rss(body: bytes) -> dict[str, object]:
    """Decode ``body`` in a fresh interpreter that holds nothing else: what
    it cost (peak RSS before and after, in KiB, and seconds)."""
    with tempfile.NamedTemporaryFile(suffix=".xml") as file:
        file.write(body)
        file.flush()
        done = subprocess.run([sys.executable, "-c", _CHILD, file.name], capture_output=True,
                              text=True, check=True, timeout=600)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.decoder")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    print("| body | bytes | decode s (best) |")
    print("|---|---:|---:|")
    for count in (1_000, 10_000, 100_000):
        body = alter_contacts_body(people(1, count, seed=count))
        best = float("inf")
        for _ in range(args.repeat if count < 100_000 else max(1, args.repeat // 2)):
            started = time.perf_counter()
            decode_call(body, max_bytes=len(body) + 1)
            best = min(best, time.perf_counter() - started)
        print(f"| alter_contacts {count:,} records | {len(body):,} | {best:.4f} |")
    print()
    print("| hostile body | bytes | peak RSS MiB | of which decoding | x body | seconds | outcome |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, make in _HOSTILE.items():
        row = peak_rss(make())
        grown = (int(row["after_kib"]) - int(row["before_kib"])) / 1024
        size = int(row["bytes"])
        print(f"| {name} | {size:,} | {int(row['after_kib']) / 1024:.0f} | {grown:.0f} "
              f"| {grown * 1024 * 1024 / size:.1f} | {float(row['seconds']):.2f} | {row['outcome']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
