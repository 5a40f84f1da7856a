"""format=flowed text (RFC 3676) made into plain lines again.

Thunderbird and Apple Mail wrap long lines at about 72 characters and mark
each soft break with a trailing space; unwrapped, a paragraph is one line
again and the quote folding sees whole quoted lines.
"""

from __future__ import annotations

_SIGNATURE_SEPARATOR = "-- "


def unflow(text: str, *, delsp: bool = False) -> str:
    """The text with soft line breaks joined (text uses LF line ends).

    ``delsp`` (DelSp=yes) means the space before a soft break was added by
    the wrapping and is removed with the break. Quoted lines are written
    back as one ``>`` per quote level and a space."""
    out: list[str] = []
    open_depth: int | None = None  # quote depth of a paragraph still being joined
    current = ""
    # The text's last line end ends its last line; it does not begin another.
    ends_with_newline = text.endswith("\n")
    for line in (text[:-1] if ends_with_newline else text).split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            # Space-stuffing (RFC 3676 4.4): one space added before ">", "From " or a space.
            content = content[1:]
        if open_depth is not None and depth != open_depth:
            # A soft break may not change the quote depth (4.5); end the paragraph.
            out.append(_quoted(open_depth, current))
            open_depth = None
        flowed = content.endswith(" ") and content != _SIGNATURE_SEPARATOR
        if flowed and delsp:
            content = content[:-1]
        current = current + content if open_depth is not None else content
        if flowed:
            open_depth = depth
        else:
            out.append(_quoted(depth, current))
            open_depth = None
    if open_depth is not None:
        out.append(_quoted(open_depth, current))
    return "\n".join(out) + ("\n" if ends_with_newline else "")


def _quoted(depth: int, content: str) -> str:
    if not depth:
        return content
    return ">" * depth + (" " + content if content else "")
