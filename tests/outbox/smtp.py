"""A real SMTP server (aiosmtpd) on a loopback port, recording what it accepts."""

from __future__ import annotations

import asyncio
import email
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message

from aiosmtpd.controller import Controller


@dataclass
class Received:
    """Every message the server accepted, parsed, in order."""

    delay: float = 0.0
    messages: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.original_content))
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"

    def bodies(self) -> list[str]:
        return [m.get_payload(decode=True).decode() for m in self.messages]


@contextmanager
def smtp_server(port: int, delay: float = 0.0) -> Iterator[Received]:
    received = Received(delay=delay)
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield received
    finally:
        controller.stop()


def send_to_loopback_smtp(settings) -> int:
    """Point Django's mail at SMTP on a free loopback port (nothing listens yet); that port."""
    from tests.support.server import free_port

    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return port
