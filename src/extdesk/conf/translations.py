"""The translation catalogues: .po sources in the package, compiled to the .mo files Django reads.

Only the .po files are kept in version control; the .mo files are built from
them at install (scripts/bootstrap runs ``extdesk compile-translations``) and
again by ``extdesk serve`` when one is missing or older than its source. polib
compiles them, so a server needs no GNU gettext. No Django here: the command
runs before any settings are read.
"""

from __future__ import annotations

import os
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


class CatalogueError(Exception):
    """A .po file that cannot be read or a .mo file that cannot be written, phrased for the user."""


def sources(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Every catalogue source: ``<lang>/LC_MESSAGES/<domain>.po``."""
    return sorted(locale_dir.glob("*/LC_MESSAGES/*.po"))


def stale(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """The sources whose .mo is missing or older than the .po."""
    found = []
    for po in sources(locale_dir):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            found.append(po)
    return found


def compile_catalogues(locale_dir: Path = LOCALE_DIR, *, only_stale: bool = False) -> list[Path]:
    """Write each source's .mo beside it (all, or the stale ones); the .mo files written."""
    written = []
    for po in stale(locale_dir) if only_stale else sources(locale_dir):
        mo = po.with_suffix(".mo")
        try:
            catalogue = polib.pofile(str(po), check_for_duplicates=True)
        except (OSError, ValueError) as exc:
            raise CatalogueError(f"cannot read the catalogue {po}: {exc}") from None
        # Written aside under a name of this process's own and renamed: a server reading the
        # catalogue never sees half a file, nor two processes compiling at once each other's.
        partial = mo.with_name(f".{mo.name}.{os.getpid()}.partial")
        try:
            catalogue.save_as_mofile(str(partial))
            partial.replace(mo)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise CatalogueError(f"cannot write {mo}: {exc.strerror or exc}") from None
        written.append(mo)
    return written
