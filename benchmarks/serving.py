"""``python -m benchmarks.serving``: 1.0's server against the current one, in one run.

On one throwaway SQLite data directory, four servers on loopback:

- ``extdesk serve`` as it is now (granian, the buffering gate, 2 workers);
- the same Django application under 1.0's server: gunicorn, sync workers, 4
  of them (1.0's default on 2 cores);
- a bare WSGI "hello" app under each of the two (the floor).

Printed: requests per second and p50/p99 of signed ``greet`` and of the bare
app with 8 clients (a new connection per request); then, for each Extdesk
server, how signed calls fare while N slow connections are open (half send
a body a byte every 5 s, half a header line every 5 s).

Needs the ``bench`` extra (gunicorn). About 2 minutes.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .client import LOOPBACK, load, signed_post, signed_request_maker
from .payloads import no_argument_body
from .servers import SECRET, Server, _running, extdesk_server, free_port, hello_server, server_environment
from .slow_clients import SlowCrowd

_OLD_SERVER = """
import sys
from gunicorn.app.base import BaseApplication

class Old(BaseApplication):
    def __init__(self, app, options):
        self.app, self.options = app, options
        super().__init__()
    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)
    def load(self):
        return self.app

port, workers, which = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if which == "hello":
    from benchmarks.hello import old_application as app
else:
    from extdesk.conf.wsgi import application as app
Old(app, {"bind": f"127.0.0.1:{port}", "workers": workers, "worker_class": "sync",
          "timeout": 120, "graceful_timeout": 10, "accesslog": None, "errorlog": "-",
          "loglevel": "warning", "limit_request_field_size": 16384,
          "worker_tmp_dir": "/dev/shm"}).run()
"""


@contextmanager
def old_server(data_dir: Path, which: str, workers: int = 4) -> Iterator[Server]:
    port = free_port()
    env = server_environment(data_dir, None, port, 128 * 1024 * 1024)
    command = [sys.executable, "-c", _OLD_SERVER, str(port), str(workers), which]
    with _running(command, env, data_dir, port) as server:
        yield server


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _under_slow_clients(port: int, count: int, seconds: float) -> str:
    maker = signed_request_maker(port, SECRET, no_argument_body("greet"))
    answered, failed, latencies = 0, 0, []
    with SlowCrowd(port, count):
        time.sleep(1)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
                    sock.sendall(maker())
                    ok = sock.recv(64).startswith(b"HTTP/1.1 200")
            except OSError:
                ok = False
            latencies.append(time.perf_counter() - started)
            answered += ok
            failed += not ok
            time.sleep(0.1)
    return (f"{answered} answered, {failed} failed or timed out (5 s); "
            f"median {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serving",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per throughput figure")
    parser.add_argument("--slow-seconds", type=float, default=10.0,
                        help="seconds of calls while the slow connections are open")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "extdesk.conf.settings")
    greet = no_argument_body("greet")
    rows: list[str] = []
    slow_rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="extdesk-serving-") as folder:
        data_dir = Path(folder)
        with extdesk_server(data_dir, None, 2, 128 * 1024 * 1024) as new, \
                old_server(data_dir, "extdesk") as old, \
                hello_server(data_dir, 2) as new_hello, \
                old_server(data_dir, "hello") as old_hello:
            for server in (new, old):
                if signed_post(server.port, SECRET, greet).status != 200:
                    raise SystemExit(f"greet failed on port {server.port}:\n{server.log.read_text()}")
            subjects = [("signed greet", "granian + gate, 2 workers x 4 threads", new),
                        ("signed greet", "gunicorn sync, 4 workers (1.0)", old),
                        ("bare WSGI app", "granian + gate, 2 workers x 4 threads", new_hello),
                        ("bare WSGI app", "gunicorn sync, 4 workers (1.0)", old_hello)]
            # Two turns in opposite orders, so drift in the machine's load weighs on all alike.
            measured: dict[int, list] = {id(s[2]): [] for s in subjects}
            for turn in (subjects, subjects[::-1]):
                for what, how, server in turn:
                    _say(f"  {what} under {how}")
                    maker = signed_request_maker(server.port, SECRET, greet)
                    measured[id(server)].append(load(server.port, maker, 8, args.seconds / 2))
            for what, how, server in subjects:
                runs = measured[id(server)]
                requests = sum(r.requests for r in runs)
                seconds = sum(r.seconds for r in runs)
                latencies = sorted(t for r in runs for t in r.latencies)
                p50 = statistics.median(latencies) * 1000
                p99 = statistics.quantiles(latencies, n=100)[98] * 1000
                errors = sum(r.errors for r in runs)
                rows.append(f"| {what} | {how} | {requests / seconds:,.0f} | {p50:.1f} | {p99:.1f} "
                            f"| {errors} |")
            for count in (4, 64):
                for how, server in (("granian + gate", new), ("gunicorn sync (1.0)", old)):
                    _say(f"  signed greet with {count} slow connections open, {how}")
                    slow_rows.append(f"| {count} | {how} | "
                                     f"{_under_slow_clients(server.port, count, args.slow_seconds)} |")
    print(f"## Serving, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} CPUs, "
          "8 clients, a new connection per request")
    print()
    print("| request | server | req/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("| slow connections | server | signed greet, one client, every 0.1 s |")
    print("|---|---|---|")
    print("\n".join(slow_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
