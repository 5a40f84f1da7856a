"""Values quoted in faults and log lines: always short.

A fault that quotes what the caller sent costs the server, its log and the
caller as much as the value itself, and a decoded value can be far larger
than the request (multi-refs share subtrees; see budget.py). So text is
quoted cut to a few dozen characters, a value of the wrong kind is named,
never printed, and a whole message is cut too as the last line of defence.
"""

from __future__ import annotations

# How much of a value a fault or a log line quotes.
SHOWN_CHARACTERS = 60
# The longest fault message (faultstring) or log text sent or written.
MAX_MESSAGE_CHARACTERS = 1000


def cut(text: str, limit: int = MAX_MESSAGE_CHARACTERS) -> str:
    """``text`` itself when short, else its first ``limit`` characters and
    how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"


def kind(value: object) -> str:
    """What a decoded value is, for a fault: "a struct", "an array", "nil", ..."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bytes | bytearray):
        return "binary data"
    if isinstance(value, dict):
        return "a struct"
    if isinstance(value, list | tuple):
        return "an array"
    return f"a {type(value).__name__}"


def shown(value: object, limit: int = SHOWN_CHARACTERS) -> str:
    """``value`` as a fault or log line may quote it.

    Strings are quoted (repr) cut to ``limit`` characters; numbers, booleans
    and nil are written out (cut as well); anything else, such as a struct or
    an array of any size, is only named by its kind.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}... ({len(value):,} characters)"
    if isinstance(value, bool | float) or value is None:
        return cut(repr(value), limit)
    if isinstance(value, int):
        # Python refuses to write out ints of more than 4,300 digits at all;
        # bit_length() tells the size without converting.
        if value.bit_length() > 3 * limit:
            return f"an integer of {value.bit_length():,} bits"
        return cut(repr(value), limit)
    return kind(value)


def first_line(exc: BaseException, fallback: str | None = None) -> str:
    """An exception's message as a log line takes it: its first line; without a message,
    ``fallback`` (default: the exception type's name)."""
    return (str(exc).strip().splitlines() or [fallback or type(exc).__name__])[0]
