"""The client library's own checks and displays, without a server."""

from __future__ import annotations

import io

import pytest

from extdesk.client import HelpdeskClient
from extdesk.client.progress import BarProgress, LineProgress, NoProgress, progress_for

SECRET = "a-secret-of-enough-length"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"url": "ftp://helpdesk/soap/"}, "http:// or https://"),
    ({"url": "http:///soap/"}, "with a host"),
    ({"secret": "short"}, "at least 16 characters"),
    ({"namespace": ""}, "namespace"),
    ({"timeout": 0}, "timeout"),
    ({"retries": -1}, "retries"),
    ({"batch_size": 0}, "batch size"),
    ({"batch_size": 10_001}, "batch size"),
])
def test_bad_settings_are_refused(kwargs, message):
    arguments = {"url": "https://helpdesk.example.com/soap/", "secret": SECRET, **kwargs}
    with pytest.raises(ValueError, match=message):
        HelpdeskClient(arguments.pop("url"), arguments.pop("secret"), **arguments)


def test_the_secret_stays_out_of_the_repr():
    client = HelpdeskClient("https://helpdesk.example.com/soap/", SECRET)
    assert SECRET not in repr(client) and "helpdesk.example.com" in repr(client)
    client.close()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_redrawn_in_place():
    out = _Terminal()
    progress = progress_for(out)
    assert isinstance(progress, BarProgress)
    progress.start(200)
    progress.advance(100)
    progress.advance(200)
    progress.finish()
    frames = out.getvalue().split("\r")[1:]
    assert frames[1].startswith("pushing [###############---------------]  50% 100/200 persons")
    assert frames[2] == "pushing [##############################] 100% 200/200 persons\n"


def test_a_pipe_gets_plain_lines_and_quiet_gets_nothing():
    out = io.StringIO()
    progress = progress_for(out)
    assert isinstance(progress, LineProgress)
    progress.start(3)
    progress.advance(1)
    progress.advance(3)
    progress.finish()
    assert out.getvalue() == "pushed 3/3 persons\n"  # at most one line a second, and the last
    assert isinstance(progress_for(_Terminal(), quiet=True), NoProgress)
