"""Reading the platform's persons from a file: CSV, a JSON array, or NDJSON.

Every row is validated before anything is sent; errors name the file, the
row and the field.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from extdesk.soap.protocol import CONTACT_FIELDS

from .errors import InvalidPerson, SourceError
from .persons import Person, parse_person

FORMATS = ("csv", "json", "ndjson")
_EXTENSIONS = {".csv": "csv", ".json": "json", ".ndjson": "ndjson", ".jsonl": "ndjson"}
# How many invalid rows are counted before reading stops.
_MAX_COUNTED_ERRORS = 1000


def _sniff(text: str) -> str:
    start = text.lstrip()[:1]
    if start == "[":
        return "json"
    if start == "{":
        return "ndjson"
    return "csv"


def _csv_rows(text: str, name: str) -> Iterator[tuple[str, Mapping[str, object]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise SourceError(f"{name}: the file is empty; it needs a header line naming the fields")
        columns = [column.strip() for column in header]
        for column in columns:
            if column not in CONTACT_FIELDS:
                raise SourceError(
                    f"{name}: header column {column!r} is not a field of the protocol "
                    f"({', '.join(CONTACT_FIELDS)})"
                )
        if len(set(columns)) != len(columns):
            raise SourceError(f"{name}: the header names a column twice")
        for needed in ("id", "email"):
            if needed not in columns:
                raise SourceError(f"{name}: the header has no {needed!r} column")
        start = reader.line_num + 1
        for row in reader:
            where = f"{name} line {start}"
            start = reader.line_num + 1
            if not row or row == [""]:
                continue
            if len(row) != len(columns):
                raise SourceError(f"{where}: has {len(row)} fields, the header names {len(columns)}")
            yield where, dict(zip(columns, row, strict=True))
    except csv.Error as exc:
        raise SourceError(f"{name} line {reader.line_num}: not valid CSV ({exc})") from None


def _json_rows(text: str, name: str) -> Iterator[tuple[str, Mapping[str, object]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(
            f"{name} line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})"
        ) from None
    if not isinstance(data, list):
        raise SourceError(f"{name}: the JSON document must be an array of person objects")
    for position, item in enumerate(data, start=1):
        yield f"{name} item {position}", item


def _ndjson_rows(text: str, name: str) -> Iterator[tuple[str, Mapping[str, object]]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{name} line {number}: not valid JSON ({exc.msg})") from None
        yield f"{name} line {number}", item


_READERS = {"csv": _csv_rows, "json": _json_rows, "ndjson": _ndjson_rows}


def parse_persons(text: str, fmt: str, name: str) -> list[Person]:
    """Validate every row of ``text``; SourceError for the first bad one (and how many more).

    An id repeated with identical data counts once; repeated with other data
    it is an error, since the source cannot say which is right.
    """
    if fmt not in _READERS:
        raise SourceError(f"unknown source format {fmt!r}; use one of {', '.join(FORMATS)}")
    persons: dict[int, tuple[str, Person]] = {}
    errors: list[str] = []
    for where, raw in _READERS[fmt](text, name):
        try:
            person = parse_person(raw, where)
        except InvalidPerson as exc:
            errors.append(str(exc))
            if len(errors) >= _MAX_COUNTED_ERRORS:
                break
            continue
        earlier = persons.get(person.id)
        if earlier is None:
            persons[person.id] = (where, person)
        elif earlier[1] != person:
            errors.append(f"{where} (id {person.id}): the same id is on {earlier[0]} with other data")
    if errors:
        more = len(errors) - 1
        suffix = f" (and {more}{'+' if len(errors) >= _MAX_COUNTED_ERRORS else ''} more invalid " \
                 f"row{'s' if more != 1 else ''}); nothing was sent" if more else "; nothing was sent"
        raise SourceError(errors[0] + suffix)
    return [person for _, person in persons.values()]


def read_persons(source: str, fmt: str | None = None, *, stdin: BinaryIO | None = None) -> list[Person]:
    """Read and validate the persons of file ``source`` (``-`` for standard input).

    The format comes from ``fmt``, else the file's extension, else its first
    character (``[`` JSON, ``{`` NDJSON, otherwise CSV).
    """
    if source == "-":
        name = "standard input"
        data = (stdin or sys.stdin.buffer).read()
    else:
        name = source
        try:
            data = Path(source).read_bytes()
        except FileNotFoundError:
            raise SourceError(f"the source file {source} does not exist") from None
        except IsADirectoryError:
            raise SourceError(f"the source {source} is a directory, not a file") from None
        except OSError as exc:
            raise SourceError(f"cannot read the source file {source}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    if fmt is None and source != "-":
        fmt = _EXTENSIONS.get(Path(source).suffix.lower())
    return parse_persons(text, fmt or _sniff(text), name)
