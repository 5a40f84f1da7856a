"""Starting granian: worker processes, TLS, timeouts, restart after a crash, graceful stop."""

from __future__ import annotations

import resource
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServerOptions:
    target: str  # "module:attribute" of an RSGI application
    host: str
    port: int
    workers: int
    header_timeout: int  # seconds a client may take to send its request line and headers
    certfile: str | None = None
    keyfile: str | None = None
    # A worker that dies is started again after this pause.
    respawn_seconds: float = 1.0
    # Seconds a stopping worker may take to finish the requests it holds.
    graceful_seconds: int = 10


def _raise_open_file_limit() -> None:
    # Every connection, slow or not, holds a descriptor; the default soft
    # limit (often 1024) would be the first thing a flood of slow clients hits.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def serve(options: ServerOptions) -> None:
    """Run granian in the foreground until SIGINT or SIGTERM."""
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    _raise_open_file_limit()
    from granian.constants import SSLProtocols

    Server(
        options.target,
        address=options.host,
        port=options.port,
        interface=Interfaces.RSGI,
        workers=options.workers,
        http=HTTPModes.http1,
        websockets=False,
        loop=Loops.asyncio,
        http1_settings=HTTP1Settings(header_read_timeout=options.header_timeout * 1000),
        log_level=LogLevels.warning,
        log_access=False,
        ssl_cert=Path(options.certfile) if options.certfile else None,
        ssl_key=Path(options.keyfile) if options.keyfile else None,
        # Platforms on older TLS stacks speak 1.2; nothing older is offered.
        ssl_protocol_min=SSLProtocols.tls12,
        respawn_failed_workers=True,
        respawn_interval=options.respawn_seconds,
        workers_kill_timeout=options.graceful_seconds,
    ).serve()
