"""Text that Python hands to a page is marked for translation: flashed messages, form errors, field
labels, help texts, placeholders and choices, and the title and message of an error page.

An AST scan of the packages whose pages people read. A string literal, an f-string or a sum of them in
one of those places is a sentence that stays English on a German page; gettext's result (a call) is
not a literal, so marked text passes. Log messages, CLI output and SOAP faults are not in these places.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.database_independent

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "extdesk"
# The apps with pages for staff or customers.
APPS = ("desk", "reports", "kb", "sla", "ratings", "helpdesk", "portal", "web", "sso", "mail")
MESSAGE_LEVELS = {"debug", "info", "success", "warning", "error"}
# Keyword arguments of form fields, widgets and models that a person reads.
READ_KEYWORDS = {"label", "help_text", "empty_label", "verbose_name", "verbose_name_plural"}
# Keys of a dict whose value a person reads: a widget's placeholder, an error page's title and message.
READ_KEYS = {"placeholder", "title", "message"}
# Literals that are the same in every language: what a person types, such as a time zone's name.
NOT_PROSE = {"Europe/Berlin"}


def _prose(node: ast.expr) -> bool:
    """A literal with letters in it (an f-string always holds some text of its own, or is pointless)."""
    if isinstance(node, ast.Constant):
        return (isinstance(node.value, str) and node.value not in NOT_PROSE
                and any(character.isalpha() for character in node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_prose(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _prose(node.left) or _prose(node.right)
    if isinstance(node, ast.IfExp):
        return _prose(node.body) or _prose(node.orelse)
    return False


def _choices(node: ast.expr) -> bool:
    """A list of (value, label) pairs one of whose labels is a literal."""
    return isinstance(node, ast.List | ast.Tuple) and any(
        isinstance(pair, ast.Tuple) and len(pair.elts) == 2 and _prose(pair.elts[1]) for pair in node.elts)


def unmarked(source: str) -> list[tuple[int, str]]:
    """(line, what) of every unmarked text that ``source`` shows to people."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            found += [(value.lineno, f"{key.value!r} entry")
                      for key, value in zip(node.keys, node.values, strict=True)
                      if isinstance(key, ast.Constant) and key.value in READ_KEYS and _prose(value)]
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        shown: list[tuple[str, ast.expr]] = []
        if (isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name)
                and function.value.id == "messages" and name in MESSAGE_LEVELS and len(node.args) >= 2):
            shown.append((f"messages.{name}", node.args[1]))
        if name == "ValidationError" and node.args:
            shown.append((name, node.args[0]))
        if name == "add_error" and len(node.args) >= 2:
            shown.append((name, node.args[1]))
        for keyword in node.keywords:
            if keyword.arg in READ_KEYWORDS:
                shown.append((f"{keyword.arg}=", keyword.value))
            elif keyword.arg == "error_messages" and isinstance(keyword.value, ast.Dict):
                shown += [("error_messages=", value) for value in keyword.value.values]
            elif keyword.arg == "choices" and _choices(keyword.value):
                found.append((keyword.value.lineno, "choices="))
        found += [(value.lineno, what) for what, value in shown if _prose(value)]
    return sorted(found)


def test_the_scan_finds_unmarked_text_and_passes_marked_text():
    assert unmarked('messages.success(request, f"Ticket {n} updated.")') == [(1, "messages.success")]
    assert unmarked('messages.info(request, _("Nothing to change."))') == []
    assert unmarked('raise ValidationError("Enter a number.")') == [(1, "ValidationError")]
    assert unmarked('form.add_error("tag", "No tag " + name)') == [(1, "add_error")]
    assert unmarked('f = forms.CharField(label="Tag", help_text=gettext_lazy("Short."))') == [(1, "label=")]
    assert unmarked('f = forms.ChoiceField(choices=[("", "Anyone"), *staff])') == [(1, "choices=")]
    assert unmarked('f = forms.CharField(error_messages={"required": "Enter it."})') == [
        (1, "error_messages=")]
    assert unmarked('w = forms.TextInput(attrs={"placeholder": "Name", "type": "search"})') == [
        (1, "'placeholder' entry")]
    assert unmarked('page(request, {"title": "Not yours", "message": _("Ask.")})') == [(1, "'title' entry")]
    # Values that are not sentences: numbers, keys, a literal without letters.
    assert unmarked('f = forms.CharField(label=name, widget=forms.TextInput(attrs={"type": "date"}))') == []
    assert unmarked('messages.error(request, " ".join(exc.messages))') == []


@pytest.mark.parametrize("path", sorted(p for app in APPS for p in (PACKAGE / app).rglob("*.py")
                                        if "migrations" not in p.parts),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_python_text_shown_to_people_is_marked(path):
    assert unmarked(path.read_text(encoding="utf-8")) == []
