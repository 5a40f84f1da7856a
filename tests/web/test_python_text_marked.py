"""Text that Python hands to a page is marked for translation: flashed messages, form errors, field
labels, help texts, placeholders and choices, the title and message of an error page, the services'
refusals (InvalidInput, and the problems they gather by field), and the admin's labels and messages.

An AST scan of the packages whose pages people read. A string literal, an f-string or a sum of them in
one of those places is a sentence that stays English on a German page; gettext's result (a call) is
not a literal, so marked text passes. Log messages, CLI output and SOAP faults are not in these places
(NotAllowed and Conflict name a caller's bug for the log, never a reader's mistake).

Every literal marked in the services and the admin is translated in every catalogue: their text is shown
to staff, whom tests/web/test_translations.py leaves to lag.
"""

from __future__ import annotations

import ast
from pathlib import Path

import polib
import pytest
from django.conf import settings

from extdesk.conf.translations import LOCALE_DIR

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
# The services whose refusals reach a page, and the admin pages of every app.
SERVICES = ("kb/services.py", "helpdesk/services.py", "sla/services.py", "desk/services.py", "desk/canned.py",
            "mail/services.py", "ratings/services.py", "desk/presence.py")
ADMINS = tuple(sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.glob("*/admin.py")))
# Functions whose refusals are printed by the command line (createstaff), in English.
COMMAND_LINE_ONLY = {("desk/services.py", "create_staff_user")}
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
GETTEXT = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}


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


def _refusals(node: ast.expr) -> list[ast.expr]:
    """The messages of an InvalidInput's argument: a message, a list of them, or a dict of either by field."""
    if isinstance(node, ast.Dict):
        return [message for value in node.values for message in _refusals(value)]
    if isinstance(node, ast.List | ast.Tuple):
        return list(node.elts)
    return [node]


def _problem_lists(node: ast.AST) -> list[ast.expr]:
    """Problems gathered for an InvalidInput: ``errors.setdefault(f, []).append(x)``, ``errors[f] = [x]``."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
            and isinstance(node.func.value, ast.Call) and isinstance(node.func.value.func, ast.Attribute)
            and node.func.value.func.attr == "setdefault" and isinstance(node.func.value.func.value, ast.Name)
            and node.func.value.func.value.id == "errors"):
        return list(node.args)
    if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript)
            and isinstance(node.targets[0].value, ast.Name) and node.targets[0].value.id == "errors"):
        return _refusals(node.value)
    return []


def _left_english(tree: ast.AST, skipped: set[str]) -> set[int]:
    """The lines of the functions named in ``skipped``."""
    return {line for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name in skipped
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1)}


def unmarked(source: str, *, english: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """(line, what) of every unmarked text that ``source`` shows to people; functions named in
    ``english`` speak to the command line and are left out."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        found += [(value.lineno, "errors entry") for value in _problem_lists(node) if _prose(value)]
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
        if name == "InvalidInput" and node.args:
            shown += [(name, message) for message in _refusals(node.args[0])]
        if name == "message_user" and len(node.args) >= 2:
            shown.append((name, node.args[1]))
        if name in ("display", "action") and isinstance(function, ast.Attribute):
            shown += [(f"admin.{name}(description=)", keyword.value) for keyword in node.keywords
                      if keyword.arg == "description"]
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
    if english:
        left_out = _left_english(tree, set(english))
        found = [(line, what) for line, what in found if line not in left_out]
    return sorted(found)


def marked_literals(source: str) -> set[str]:
    """The msgids of ``source``: the literal first arguments of its gettext calls (both forms of a plural)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in GETTEXT:
            count = 2 if node.func.id.startswith("ngettext") else 1
            found |= {arg.value for arg in node.args[:count]
                      if isinstance(arg, ast.Constant) and isinstance(arg.value, str)}
    return found


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


def test_the_scan_finds_unmarked_refusals_and_admin_text():
    assert unmarked('raise InvalidInput({"tag": f"Keep a tag to {n} characters."})') == [(1, "InvalidInput")]
    assert unmarked('raise InvalidInput({"tag": ["Enter a tag.", _("Ok.")]})') == [(1, "InvalidInput")]
    assert unmarked('raise InvalidInput({"tag": _("Enter a tag.")})') == []
    assert unmarked('raise InvalidInput(errors)') == []
    assert unmarked('errors.setdefault("title", []).append("Enter a name.")') == [(1, "errors entry")]
    assert unmarked('errors["days"] = ["Choose a day."]') == [(1, "errors entry")]
    assert unmarked('errors["days"] = [_("Choose a day.")]') == []
    assert unmarked('self.message_user(request, f"Retried: {report}.", level)') == [(1, "message_user")]
    assert unmarked('@admin.action(description="Retry now")\ndef retry(): pass') == [
        (1, "admin.action(description=)")]
    assert unmarked('@admin.display(description=_("to"))\ndef to(): pass') == []
    # A log's or a caller's bug's words are not a reader's.
    assert unmarked('raise NotAllowed(f"user {pk} may not")') == []
    command_line = 'def create():\n    errors.setdefault("username", []).append("Enter a user name.")'
    assert unmarked(command_line) == [(2, "errors entry")]
    assert unmarked(command_line, english=frozenset({"create"})) == []


def test_the_literals_of_gettext_calls_are_found():
    source = 'a = _("One.")\nb = ngettext("%(n)s day", "%(n)s days", n)\nc = gettext_noop("Three.")\nd = f(x)'
    assert marked_literals(source) == {"One.", "%(n)s day", "%(n)s days", "Three."}


@pytest.mark.parametrize("path", sorted({*(p for app in APPS for p in (PACKAGE / app).rglob("*.py")
                                           if "migrations" not in p.parts),
                                         *(PACKAGE / admin for admin in ADMINS)}),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_python_text_shown_to_people_is_marked(path):
    module = str(path.relative_to(PACKAGE))
    english = frozenset(name for where, name in COMMAND_LINE_ONLY if where == module)
    assert unmarked(path.read_text(encoding="utf-8"), english=english) == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_marked_refusals_and_admin_text_are_translated(language):
    path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    catalogue = {entry.msgid: entry for entry in polib.pofile(str(path))}
    plurals = {entry.msgid_plural: entry for entry in catalogue.values() if entry.msgid_plural}
    missing = []
    for module in SERVICES + ADMINS:
        for msgid in sorted(marked_literals((PACKAGE / module).read_text(encoding="utf-8"))):
            entry = catalogue.get(msgid) or plurals.get(msgid)
            if entry is None or not entry.translated() or "fuzzy" in entry.flags:
                missing.append(f"{module}: {msgid!r}")
    assert missing == []
