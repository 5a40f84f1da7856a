"""The sync state file: what was last pushed to a helpdesk, as content digests.

Written atomically (a temporary file renamed over the old one), and only
with persons whose push the helpdesk acknowledged, so an interrupted sync
leaves a state that is true, and the next sync resumes from it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from .errors import StateError
from .persons import Person

_FORMAT = "extdesk-client-sync-state"
_VERSION = 1


def default_state_path(url: str, environ: Mapping[str, str] = os.environ) -> Path:
    """A per-helpdesk state file under the user's state directory."""
    base = Path(environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    host = urlsplit(url).hostname or "helpdesk"
    tag = hashlib.sha256(url.encode()).hexdigest()[:10]
    return base / "extdesk" / f"sync-{host}-{tag}.json"


class SyncState:
    """Digests of the persons last pushed to the helpdesk at ``url``, by id."""

    def __init__(self, path: Path, url: str, digests: dict[int, str] | None = None) -> None:
        self.path = path
        self.url = url
        self._digests = digests or {}
        self.dirty = False
        # Set when the file described another helpdesk and was set aside.
        self.other_url: str | None = None

    @classmethod
    def load(cls, path: Path, url: str) -> SyncState:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path, url)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StateError(
                f"the sync state file {path} cannot be read ({exc}); delete it to start over "
                "(the next sync then re-pushes every person)"
            ) from None
        if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("version") != _VERSION:
            raise StateError(f"{path} is not an extdesk client sync state file (version {_VERSION})")
        persons = data.get("persons")
        if not isinstance(persons, dict) or not all(
            key.isdigit() and isinstance(value, str) for key, value in persons.items()
        ):
            raise StateError(f"the sync state file {path} is damaged; delete it to start over")
        if data.get("url") != url:
            state = cls(path, url)
            state.other_url = str(data.get("url"))
            return state
        return cls(path, url, {int(key): value for key, value in persons.items()})

    def __len__(self) -> int:
        return len(self._digests)

    def digest(self, person_id: int) -> str | None:
        return self._digests.get(person_id)

    def record(self, persons: Iterable[Person]) -> None:
        """Note that the helpdesk acknowledged these persons as they are now."""
        for person in persons:
            self._digests[person.id] = person.digest
        self.dirty = True

    def keep_only(self, ids: set[int]) -> None:
        """Forget persons no longer in the source."""
        gone = self._digests.keys() - ids
        for person_id in gone:
            del self._digests[person_id]
        self.dirty = self.dirty or bool(gone)

    def save(self) -> None:
        data = {
            "format": _FORMAT,
            "version": _VERSION,
            "url": self.url,
            "persons": {str(key): value for key, value in sorted(self._digests.items())},
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(data, out, separators=(",", ":"))
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise StateError(f"cannot write the sync state file {self.path}: {exc.strerror}") from None
        self.dirty = False


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside the state file, so two syncs never interleave."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a")  # noqa: SIM115 - held open for the lock's lifetime
    except OSError as exc:
        raise StateError(f"cannot create the lock file {lock_path}: {exc.strerror}") from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StateError(
                f"another sync holds {lock_path}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
