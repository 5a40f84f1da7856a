"""``python -m benchmarks.mail``: the mail channel's figures, on SQLite, each run in a fresh process.

- ``extdesk receive-mail`` of a typical 20 KiB mail (text and HTML
  alternatives, a quoted history, the trace and DKIM headers an MTA
  leaves), a new ticket each time: process start to exit, median of
  ``--runs``, beside ``python -c pass`` and ``extdesk --help`` as the floor;
- ``extdesk fetch-mail`` (one pass) of 100 and of 1,000 (``--counts``) such mails from a
  local Dovecot (benchmarks/dovecot.py, over imaps:// on loopback, the
  mails dropped into its maildir beforehand): wall time from process start
  to exit, messages per second, and the process's peak RSS (``ru_maxrss``
  of the child, from wait4); then one 25 MiB mail (a 19 MiB attachment,
  stored: the attachment limit is raised for it) against one small one;
- the IMAP side alone (extdesk.mail.imap.fetch with a store that keeps
  nothing, no Django) on the same mails: what the store costs is the rest.

Every measured process gets its own data directory and migrated database.
Each mail comes from a sender of its own and becomes a guest ticket;
acknowledgements are off (EXTDESK_MAIL_ACKNOWLEDGE=false), so the figures
are the fetch and the store, not the outgoing mail. About two minutes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from .dovecot import Dovecot, available

SECRET = "benchmark-secret-" + "0123456789abcdef"
_QUOTED = "".join(f"> On an earlier day the customer wrote line {n} of a long quoted history.\n"
                  for n in range(60))
_PARAGRAPH = ("Since this morning no mail arrives in the shared mailbox; the webmail shows the "
              "folder empty and the mobile clients time out. We changed nothing on our side.\n")


def typical_mail(n: int, *, attachment: bytes = b"") -> bytes:
    """About 20 KiB: a new question from sender ``n`` with the history and headers mail carries."""
    message = EmailMessage()
    message["Return-Path"] = f"<person{n}@example.com>"
    for hop in range(3):
        message["Received"] = (f"from mx{hop}.example.net (mx{hop}.example.net [192.0.2.{hop + 1}]) "
                               f"by mail.example.com with ESMTPS id {n:08X}{hop}; "
                               f"Tue, 1 Dec 2026 09:00:0{hop} +0000")
    message["DKIM-Signature"] = ("v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=mail; "
                                 "h=from:to:subject:date:message-id; bh=" + "A" * 44 + "; b=" + "B" * 344)
    message["From"] = f"Person {n} <person{n}@example.com>"
    message["To"] = "support@example.com"
    message["Subject"] = f"Mail stopped arriving ({n})"
    message["Date"] = format_datetime(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    message["Message-ID"] = f"<bench-{n}-{os.getpid()}-{time.monotonic_ns()}@client.example.com>"
    text = _PARAGRAPH * 28 + "\nRegards,\nPerson\n\n" + _QUOTED
    message.set_content(text)
    html = "<html><body>" + "".join(f"<p>{line}</p>" for line in text.splitlines()) + "</body></html>"
    message.add_alternative(html, subtype="html")
    if attachment:
        message.add_attachment(attachment, maintype="application", subtype="octet-stream",
                               filename="capture.bin")
    return message.as_bytes()


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTDESK_")}
    env.update(EXTDESK_DATA_DIR=str(data_dir), EXTDESK_SECRET=SECRET, EXTDESK_BASE_URL="http://127.0.0.1",
               EXTDESK_EMAIL_URL="console://", EXTDESK_MAIL_ACKNOWLEDGE="false", **extra)
    return env


def _extdesk() -> list[str]:
    # The console script an MTA or cron runs, when installed; else the module.
    script = Path(sys.executable).with_name("extdesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "extdesk.cli"]


@contextmanager
def _database(root: Path, name: str, **extra: str) -> Iterator[dict[str, str]]:
    """A migrated SQLite data directory of its own."""
    data_dir = root / name
    # Only `extdesk serve` makes a missing data directory; migrate sets the database up in one.
    data_dir.mkdir(mode=0o700, parents=True)
    env = _environment(data_dir, **extra)
    migrated = subprocess.run([*_extdesk(), "manage", "migrate", "--no-input", "-v", "0"], env=env,
                              capture_output=True, text=True, timeout=300, check=False)
    if migrated.returncode != 0:
        raise SystemExit(f"extdesk manage migrate exited with {migrated.returncode}:\n{migrated.stderr}")
    try:
        yield env
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@dataclass(frozen=True)
class Run:
    seconds: float
    # User and system time of the process itself: what a busy machine changes least.
    cpu_seconds: float
    peak_rss_kib: int
    output: bytes


# Linux carries a process's memory high-water mark over fork and exec into
# the child's ru_maxrss, so a command forked by this process (which holds
# the mails) would report this process's peak. Each command is forked by a
# small interpreter of its own instead, which times it from fork to exit.
_LAUNCHER = """
import os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{time.perf_counter() - started} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} "
              f"{os.waitstatus_to_exitcode(status)}")
"""


def measured(command: Sequence[str], env: dict[str, str], stdin: bytes = b"") -> Run:
    """Run ``command`` to its end: wall seconds from fork to exit, and its own peak RSS."""
    with tempfile.TemporaryFile() as given, tempfile.TemporaryFile() as out, \
            tempfile.NamedTemporaryFile(mode="r") as figures:
        given.write(stdin)
        given.seek(0)
        subprocess.run([sys.executable, "-I", "-S", "-c", _LAUNCHER, figures.name, *command], env=env,
                       stdin=given, stdout=out, stderr=subprocess.STDOUT, check=True, timeout=1800)
        seconds, cpu, peak, code = figures.read().split()
        out.seek(0)
        output = out.read()
    if code != "0":
        raise SystemExit(f"{command[1:]} exited with {code}:\n{output.decode(errors='replace')[-3000:]}")
    return Run(float(seconds), float(cpu), int(peak), output)


def startup_figures(root: Path, runs: int) -> list[tuple[str, float, float, float]]:
    """(what, median seconds, median CPU seconds, median peak RSS MiB) of the floor and of receive-mail."""
    env = _environment(root / "floor")
    measured_runs = {name: [measured(command, env) for _ in range(runs)]
                     for name, command in (("python -c pass", [sys.executable, "-c", "pass"]),
                                           ("extdesk --help", [*_extdesk(), "--help"]))}
    size = len(typical_mail(0))
    with _database(root, "receive") as env:
        measured_runs[f"extdesk receive-mail, a {size / 1024:.0f} KiB mail"] = [
            measured([*_extdesk(), "receive-mail"], env, typical_mail(n)) for n in range(runs)]
    return [(name, statistics.median(s.seconds for s in samples),
             statistics.median(s.cpu_seconds for s in samples),
             statistics.median(s.peak_rss_kib for s in samples) / 1024)
            for name, samples in measured_runs.items()]


@dataclass(frozen=True)
class Fetched:
    what: str
    count: int
    mail_bytes: int
    run: Run

    @property
    def rate(self) -> float:
        return self.count / self.run.seconds


# The IMAP side alone: the same pass, with a store that keeps nothing.
_IMAP_ONLY = """
import sys
from extdesk.config import mail_in
from extdesk.mail.imap import fetch
class Kept:
    outcome, duplicate = "ticket", False
(inbox,) = mail_in({"EXTDESK_INBOX_URL": sys.argv[1]}).inboxes
print(fetch(inbox, lambda raw: Kept()))
"""


def fetch_figure(root: Path, cert: Path, key: Path, what: str, mails: Sequence[bytes], *,
                 imap_only: bool = False, **extra: str) -> Fetched:
    """One ``extdesk fetch-mail`` pass over ``mails``, dropped into a fresh Dovecot's INBOX."""
    server = Dovecot(root / f"dovecot-{len(mails)}-{time.monotonic_ns()}", cert, key)
    server.drop(mails)
    server.start()
    try:
        with _database(root, f"fetch-{len(mails)}-{time.monotonic_ns()}", EXTDESK_INBOX_URL=server.url(),
                       SSL_CERT_FILE=str(cert), **extra) as env:
            command = ([sys.executable, "-c", _IMAP_ONLY, server.url()] if imap_only
                       else [*_extdesk(), "fetch-mail"])
            run = measured(command, env)
            if f"{len(mails)} stored" not in run.output.decode(errors="replace"):
                raise SystemExit(f"fetch-mail did not store every mail:\n{run.output.decode()[-3000:]}")
        if server.count(criteria="UNSEEN"):
            raise SystemExit("fetch-mail left mail unread")
    finally:
        server.remove()
    return Fetched(what, len(mails), sum(len(m) for m in mails), run)


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mail", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each start-to-exit figure (median)")
    parser.add_argument("--big-mib", type=int, default=25, help="size of the one large mail, MiB")
    parser.add_argument("--counts", type=lambda raw: sorted(int(n) for n in raw.split(",")),
                        default=[100, 1000], help="mails in each fetch-mail run (default: 100,1000)")
    args = parser.parse_args(argv)
    if not available():
        raise SystemExit("needs Dovecot at /usr/sbin/dovecot (Debian: apt-get install dovecot-imapd)")
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="extdesk-bench-mail-"))
    try:
        cert, key = _certificate(root)
        print(f"## Mail channel benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
              f"{os.cpu_count()} CPUs, SQLite, load average {os.getloadavg()[0]:.1f}")
        print()
        print(f"| process start to exit (median of {args.runs}) | seconds | CPU s | peak RSS MiB |")
        print("|---|---:|---:|---:|")
        for name, seconds, cpu, rss in startup_figures(root, args.runs):
            print(f"| {name} | {seconds:.3f} | {cpu:.3f} | {rss:.0f} |", flush=True)
        print()
        # The attachment, base64 in the mail, makes up the mail's size.
        big = typical_mail(0, attachment=os.urandom(args.big_mib * 1024 * 1024 * 3 // 4 - 16 * 1024))
        limit = str(2 * len(big))
        small = fetch_figure(root, cert, key, "one small mail", [typical_mail(0)])
        counted = [fetch_figure(root, cert, key, f"{count:,} mails", [typical_mail(n) for n in range(count)])
                   for count in args.counts]
        large = fetch_figure(root, cert, key, f"one {len(big) / 2**20:.0f} MiB mail", [big],
                             EXTDESK_ATTACHMENT_MAX_BYTES=limit, EXTDESK_MAIL_MAX_BYTES=limit)
        alone = "the IMAP side alone"
        imap_side = [fetch_figure(root, cert, key, f"one small mail, {alone}", [typical_mail(0)],
                                  imap_only=True),
                     fetch_figure(root, cert, key, f"{args.counts[-1]:,} mails, {alone}",
                                  [typical_mail(n) for n in range(args.counts[-1])], imap_only=True),
                     fetch_figure(root, cert, key, f"one {len(big) / 2**20:.0f} MiB mail, {alone}", [big],
                                  imap_only=True)]
        print("| extdesk fetch-mail, one pass | mails | MiB of mail | seconds | mails/s | CPU s "
              "| mails per CPU s | peak RSS MiB |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for fetched in (small, *counted, large, *imap_side):
            print(f"| {fetched.what} | {fetched.count:,} | {fetched.mail_bytes / 2**20:.1f} "
                  f"| {fetched.run.seconds:.2f} | {fetched.rate:.0f} | {fetched.run.cpu_seconds:.2f} "
                  f"| {fetched.count / fetched.run.cpu_seconds:.0f} "
                  f"| {fetched.run.peak_rss_kib / 1024:.0f} |", flush=True)
        fewest, most = counted[0], counted[-1]
        grown = (large.run.peak_rss_kib - small.run.peak_rss_kib) * 1024
        print()
        if most.count > fewest.count:
            marginal = (most.count - fewest.count) / (most.run.seconds - fewest.run.seconds)
            marginal_cpu = (most.count - fewest.count) / (most.run.cpu_seconds - fewest.run.cpu_seconds)
            print(f"- past the start-up: {marginal:.0f} mails/s, {marginal_cpu:.0f} mails per CPU second "
                  f"(the {most.count - fewest.count:,} mails between the smallest and the largest run);")
        for fetched in counted[1:]:
            print(f"- peak RSS, {fetched.count:,} mails against {fewest.count:,}: "
                  f"{(fetched.run.peak_rss_kib - fewest.run.peak_rss_kib) / 1024:+.1f} MiB;")
        print(f"- peak RSS, the large mail against the small one: {grown / 2**20:+.0f} MiB "
              f"({grown / large.mail_bytes:.1f} x the mail); of which the IMAP side: "
              f"{(imap_side[2].run.peak_rss_kib - imap_side[0].run.peak_rss_kib) / 1024:+.0f} MiB.")
        print()
        print(f"(whole run: {time.monotonic() - started:.0f} s)")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
