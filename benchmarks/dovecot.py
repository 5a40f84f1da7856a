"""A real Dovecot IMAP server on loopback, with a throwaway configuration: for the mail tests and benchmark.

Everything lives under one directory (configuration, sockets, state, log,
passwd-file, maildir): plain IMAP (with STARTTLS) and IMAPS on free
loopback ports, one user with a password, the given certificate.

Dovecot refuses to give mail access to root and to run its login process as
root, so when started by root the mail and login processes run as
``nobody``: the login process chrooted to its socket directory (Dovecot's
default) and the mail process chrooted to the mail directory, so that
neither needs to reach into a directory only root may enter (pytest's temp
directories are 0700). Started by anyone else, every process runs as that
user, without chroots.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

import imapclient

DOVECOT = "/usr/sbin/dovecot"
USER = "tester"
PASSWORD = "s3cret-imap-passw0rd"


def available() -> bool:
    return Path(DOVECOT).is_file() and os.access(DOVECOT, os.X_OK)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    """One Dovecot master process; ``stop()`` and ``start()`` again keep the mail."""

    def __init__(self, directory: Path, cert: Path, key: Path, *, capabilities: str = "") -> None:
        """``capabilities``: what the server announces after login instead of its own list (to play
        an older server: it still does what it is asked)."""
        self.directory = directory
        self.cert, self.key = cert, key
        self.imap_port, self.imaps_port = _free_port(), _free_port()
        self.log_path = directory / "dovecot.log"
        # Dovecot's sockets live here; a Unix socket's path holds at most 107
        # bytes, less than a deep temporary directory (pytest-xdist's) leaves.
        self._short_dir = Path(tempfile.mkdtemp(prefix="dovecot-"))
        # Entered by the login processes (nobody, when started by root);
        # Dovecot makes base_dir itself, with the modes it wants.
        self._short_dir.chmod(0o755)
        self.run_dir = self._short_dir / "run"
        self.process: subprocess.Popen | None = None
        as_root = os.geteuid() == 0
        self._mail_user = "nobody" if as_root else pwd.getpwuid(os.geteuid()).pw_name
        self._mail_ids = (pwd.getpwnam(self._mail_user).pw_uid, pwd.getpwnam(self._mail_user).pw_gid)
        mail_root = directory / "mail"
        self.home = mail_root / USER
        self.maildir = self.home / "Maildir"
        for sub in ("", "new", "cur", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        if as_root:
            # Entered by nobody once chrooted to it, whatever the umask.
            mail_root.chmod(0o755)
            for path in (self.home, self.maildir, *(self.maildir / s for s in ("new", "cur", "tmp"))):
                os.chown(path, *self._mail_ids)
        # "/./" marks the chroot: the mail process then sees /tester/Maildir.
        home_field = f"{mail_root}/./%u" if as_root else f"{mail_root}/%u"
        (directory / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        (directory / "passwd").chmod(0o600)
        me = pwd.getpwuid(os.geteuid()).pw_name
        my_group = grp.getgrgid(os.getegid()).gr_name
        mail_group = grp.getgrgid(self._mail_ids[1]).gr_name
        self.config = directory / "dovecot.conf"
        announced = f"protocol imap {{\n  imap_capability = {capabilities}\n}}\n" if capabilities else ""
        self.config.write_text(f"""\
base_dir = {self.run_dir}
state_dir = {directory}/state
log_path = {self.log_path}
instance_name = extdesk-test-{self.imap_port}
protocols = imap
listen = 127.0.0.1
default_internal_user = {me}
default_internal_group = {my_group}
default_login_user = {self._mail_user}
mail_uid = {self._mail_user}
mail_gid = {mail_group}
first_valid_uid = 0
first_valid_gid = 0
valid_chroot_dirs = {mail_root}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
# A wrong password is answered at once. (The next login from the same
# address is still held back a few seconds: Dovecot's auth penalty.)
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {directory}/passwd
  default_fields = home={home_field}
}}
mail_location = maildir:~/Maildir
{announced}service anvil {{
  chroot = {"empty" if as_root else ""}
}}
service imap-login {{
  chroot = {"login" if as_root else ""}
  inet_listener imap {{
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = {self.imaps_port}
    ssl = yes
  }}
}}
""")

    def start(self, timeout: float = 20) -> None:
        assert self.process is None, "already running"
        with open(self.directory / "dovecot.out", "ab") as out:
            self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.config)],
                                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise RuntimeError(f"dovecot exited at start:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.imaps_port), timeout=1), \
                        socket.create_connection(("127.0.0.1", self.imap_port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.05)
                continue
            # Listening, and by this master (not one left over on the same directory).
            if self._master_pid() == self.process.pid:
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not listen within {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        """Stop the server at once, as a crash or kill -9 would, its processes with it; start() may follow.

        (Dovecot's own shutdown on SIGTERM takes a second or more, too long
        for a fixture of every test.)
        """
        if self.process is None:
            return
        # Its own process group (start_new_session): the master and every child it started.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def _master_pid(self) -> int | None:
        try:
            return int((self.run_dir / "master.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else "(no log)"

    def url(self, *, tls: bool = True, folder: str = "INBOX", processed: str = "",
            password: str = PASSWORD) -> str:
        """The EXTDESK_INBOX_URL entry for this server: imaps://, or imap:// (STARTTLS)."""
        scheme, port = ("imaps", self.imaps_port) if tls else ("imap", self.imap_port)
        query = f"?processed={processed}" if processed else ""
        return f"{scheme}://{USER}:{password}@127.0.0.1:{port}/{folder}{query}"

    def client(self) -> imapclient.IMAPClient:
        """A logged-in client over IMAPS, trusting the test certificate."""
        context = ssl.create_default_context(cafile=str(self.cert))
        client = imapclient.IMAPClient("127.0.0.1", port=self.imaps_port, ssl=True, ssl_context=context,
                                       timeout=30)
        client.login(USER, PASSWORD)
        return client

    def append(self, messages: Iterable[bytes], folder: str = "INBOX") -> None:
        """Deliver over IMAP APPEND, as another mail client would."""
        client = self.client()
        try:
            for raw in messages:
                client.append(folder, raw)
        finally:
            client.logout()

    def drop(self, messages: Iterable[bytes]) -> int:
        """Deliver by writing into the INBOX maildir's new/ directly (fast; Dovecot sees them next SELECT)."""
        count = 0
        stamp = int(time.time())
        for count, raw in enumerate(messages, 1):
            name = f"{stamp}.P{os.getpid()}Q{count}.extdesk-test"
            temporary = self.maildir / "tmp" / name
            temporary.write_bytes(raw)
            if os.geteuid() == 0:
                os.chown(temporary, *self._mail_ids)
            temporary.rename(self.maildir / "new" / name)
        return count

    def flags(self, folder: str = "INBOX") -> list[tuple[bytes, ...]]:
        """Each message's flags, in UID order."""
        client = self.client()
        try:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            found = client.fetch(uids, ["FLAGS"]) if uids else {}
            return [found[uid][b"FLAGS"] for uid in sorted(found)]
        finally:
            client.logout()

    def count(self, folder: str = "INBOX", criteria: str = "ALL") -> int:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                return 0
            client.select_folder(folder, readonly=True)
            return len(client.search(criteria))
        finally:
            client.logout()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
        shutil.rmtree(self._short_dir, ignore_errors=True)
