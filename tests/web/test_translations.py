"""Translations: every customer-facing template string is marked, every catalogue is complete, the
compiled catalogues are what Django reads."""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.utils import translation

from extdesk.cli import main
from extdesk.conf.translations import LOCALE_DIR, CatalogueError, compile_catalogues, sources, stale

pytestmark = pytest.mark.database_independent

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "extdesk"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]

# The templates a customer sees: the portal, the sign-in pages, the error pages and the frame around
# them, the knowledge base's reader pages and the ratings.
CUSTOMER_TEMPLATES = sorted([
    *PACKAGE.glob("portal/templates/portal/*.html"),
    *PACKAGE.glob("sso/templates/sso/*.html"),
    *PACKAGE.glob("web/templates/extdesk/*.html"),
    *PACKAGE.glob("kb/templates/kb/*.html"),
    *(p for p in PACKAGE.glob("ratings/templates/ratings/*.html") if p.name != "_desk_ratings.html"),
])

# Where a customer-side msgid comes from (paths relative to the package). The desk's own strings
# (desk/, kb's desk pages, reports) are translatable too, but their catalogues may lag.
CUSTOMER_SOURCES = (
    "portal/", "sso/", "web/", "security/", "kb/templates/kb/_", "kb/templates/kb/article.html",
    "kb/templates/kb/category.html", "kb/templates/kb/home.html", "kb/templates/kb/search.html",
    "kb/views.py", "kb/forms.py", "ratings/", "helpdesk/notifications.py", "helpdesk/wording.py",
    "helpdesk/services.py", "helpdesk/models.py",
)

# Attributes whose value a person reads or hears: they are prose, as text between tags is.
PROSE_ATTRIBUTES = {"placeholder", "aria-label", "title", "alt", "aria-description", "aria-roledescription"}
LETTER = re.compile(r"[^\W\d_]")
# Text outside the translation tags that is not a sentence of any language.
NOT_PROSE = {"✦"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


class _ProseFinder(HTMLParser):
    """Collects the text and the prose attributes of an HTML page, but not scripts' or styles' code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._code += 1
        self.found += [f'{name}="{value}"' for name, value in attrs
                       if name in PROSE_ATTRIBUTES and value and LETTER.search(value)]
        is_button = tag == "input" and dict(attrs).get("type") in ("submit", "button", "reset")
        value = dict(attrs).get("value") or ""
        if is_button and LETTER.search(value):
            self.found.append(f'value="{value}"')

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._code = max(0, self._code - 1)

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if not self._code and text not in NOT_PROSE and LETTER.search(text):
            self.found.append(text)


def unmarked_strings(source: str) -> list[str]:
    """The prose of a template that is not inside {% translate %} or {% blocktranslate %}."""
    kept = []
    depth = 0
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if name in ("blocktranslate", "blocktrans"):
                depth += 1
            elif name in ("endblocktranslate", "endblocktrans"):
                depth -= 1
            # A tag's place stands for what it writes: a value, never prose of its own.
            kept.append("\x00")
        elif token.token_type == TokenType.VAR:
            kept.append("\x00")
        elif token.token_type == TokenType.TEXT and depth == 0:
            kept.append(token.contents)
    finder = _ProseFinder()
    finder.feed("".join(kept).replace("\x00", " "))
    finder.close()
    return finder.found


def test_the_check_finds_unmarked_text_and_attributes():
    assert unmarked_strings("<p>Hello</p>") == ["Hello"]
    assert unmarked_strings('<input placeholder="Search here">') == ['placeholder="Search here"']
    assert unmarked_strings('<a title="{% translate "x" %}" href="/a">✦</a>') == []
    marked = '{% load i18n %}<p>{% blocktranslate %}Hi {{ name }}{% endblocktranslate %}</p>'
    assert unmarked_strings(marked) == []
    assert unmarked_strings('<input type="submit" value="Send">') == ['value="Send"']
    assert unmarked_strings("<script>var x = 'code';</script><p>{{ x }} · 12</p>") == []
    assert unmarked_strings('<p>{% if a %}Open{% endif %}</p>') == ["Open"]


@pytest.mark.parametrize("path", CUSTOMER_TEMPLATES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_customer_template_string_is_marked(path):
    assert unmarked_strings(path.read_text(encoding="utf-8")) == []


# ---------------------------------------------------------------- catalogues


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> polib.POFile:
    """The msgids of the current sources, extracted as `scripts/update-translations` does, in a copy."""
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext (GNU gettext) is needed to extract the strings; install the gettext package")
    root = tmp_path_factory.mktemp("extract")
    copy = root / "extdesk"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("locale", "__pycache__", "static", "*.mo"))
    (copy / "locale").mkdir()
    (root / "data").mkdir()
    env = {**os.environ, "EXTDESK_DATA_DIR": str(root / "data")}
    done = subprocess.run([sys.executable, "-m", "extdesk.cli", "manage", "makemessages", *MAKEMESSAGES,
                           "-l", "de", "--keep-pot"], cwd=copy, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return polib.pofile(str(copy / "locale" / "django.pot"))


MAKEMESSAGES = ["--add-location", "file", "--no-wrap", "--no-obsolete", "-i", "migrations/*",
                "-i", "static/*", "-i", "demo/*"]


def _customer_side(entry: polib.POEntry) -> bool:
    return any(path.removeprefix("./").startswith(CUSTOMER_SOURCES) for path, _line in entry.occurrences)


def test_the_update_script_extracts_as_the_test_does():
    script = (PACKAGE.parents[1] / "scripts" / "update-translations").read_text()
    assert " ".join(MAKEMESSAGES) in script


def test_the_customer_side_has_strings_to_translate(extracted):
    customer = {e.msgid for e in extracted if _customer_side(e)}
    assert {"Knowledge base", "Hello %(name)s,", "Were you helped?"} <= customer
    assert "Staff sign-in" not in customer


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_customer_string_is_translated(extracted, language):
    catalogue = {e.msgid: e for e in polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))
                 if not e.obsolete}
    problems = []
    for wanted in (e for e in extracted if _customer_side(e)):
        entry = catalogue.get(wanted.msgid)
        if entry is None:
            problems.append(f"missing: {wanted.msgid!r}")
        elif "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {wanted.msgid!r}")
        elif wanted.msgid_plural:
            forms = [entry.msgstr_plural.get(i, "") for i in range(_plural_count(language))]
            allowed = set(PLACEHOLDER.findall(wanted.msgid)) | set(PLACEHOLDER.findall(wanted.msgid_plural))
            if not all(forms):
                problems.append(f"untranslated plural: {wanted.msgid!r}")
            elif any(not set(PLACEHOLDER.findall(form)) <= allowed for form in forms):
                problems.append(f"placeholders differ: {wanted.msgid!r}")
        elif not entry.msgstr:
            problems.append(f"untranslated: {wanted.msgid!r}")
        elif sorted(PLACEHOLDER.findall(entry.msgstr)) != sorted(PLACEHOLDER.findall(wanted.msgid)):
            problems.append(f"placeholders differ: {wanted.msgid!r} -> {entry.msgstr!r}")
    assert problems == []


def _plural_count(language: str) -> int:
    header = polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po")).metadata["Plural-Forms"]
    return int(re.search(r"nplurals\s*=\s*(\d+)", header).group(1))


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogues_are_tidy(language):
    catalogue = polib.pofile(str(LOCALE_DIR / language / "LC_MESSAGES" / "django.po"))
    assert catalogue.obsolete_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert catalogue.metadata["Language"] == language
    assert not catalogue.metadata_is_fuzzy


def test_russian_has_three_plural_forms():
    assert _plural_count("ru") == 3
    with translation.override("ru"):
        assert [translation.ngettext("%(views)s view", "%(views)s views", n) % {"views": n}
                for n in (1, 3, 5, 21)] == ["1 просмотр", "3 просмотра", "5 просмотров", "21 просмотр"]


# ---------------------------------------------------------------- compiling


def test_compile_translations_builds_what_django_reads(tmp_path):
    (tmp_path / "de" / "LC_MESSAGES").mkdir(parents=True)
    po = tmp_path / "de" / "LC_MESSAGES" / "django.po"
    shutil.copy(LOCALE_DIR / "de" / "LC_MESSAGES" / "django.po", po)
    assert stale(tmp_path) == [po]
    assert compile_catalogues(tmp_path) == [po.with_suffix(".mo")]
    assert stale(tmp_path) == []
    with po.with_suffix(".mo").open("rb") as handle:
        assert gettext.GNUTranslations(handle).gettext("Knowledge base") == "Wissensdatenbank"
    # Only the outdated ones again: none now.
    assert compile_catalogues(tmp_path, only_stale=True) == []


def test_the_command_compiles_the_package_catalogues(capsys):
    assert main(["compile-translations"]) == 0
    assert f"compiled {len(sources())} translation catalogue(s)" in capsys.readouterr().err
    assert stale() == []
    assert {p.parent.parent.name for p in sources()} == set(LANGUAGES)
    for language in LANGUAGES:
        assert (LOCALE_DIR / language / "LC_MESSAGES" / "django.mo").exists()
    with translation.override("fr"):
        assert translation.gettext("Knowledge base") == "Base de connaissances"


def test_a_broken_catalogue_is_named_and_nothing_is_written(tmp_path):
    (tmp_path / "de" / "LC_MESSAGES").mkdir(parents=True)
    po = tmp_path / "de" / "LC_MESSAGES" / "django.po"
    po.write_text('msgid "a"\nmsgstr "b"\nmsgid "a"\nmsgstr "c"\n', encoding="utf-8")
    with pytest.raises(CatalogueError, match=re.escape(str(po))):
        compile_catalogues(tmp_path)
    assert list(po.parent.iterdir()) == [po]


def test_compiled_files_are_not_committed():
    ignored = (PACKAGE.parents[1] / ".gitignore").read_text().split()
    assert "*.mo" in ignored
