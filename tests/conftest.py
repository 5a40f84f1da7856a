import subprocess

import pytest

from extdesk.conf.translations import compile_catalogues
from tests.support.server import live_server_any_db, postgres_url

# The .mo files are built from the .po sources, never committed: a checkout whose
# catalogues changed since scripts/bootstrap last ran is tested with its current ones.
compile_catalogues(only_stale=True)


def pytest_collection_modifyitems(config, items):
    # scripts/test runs the suite once per database; what cannot differ between them runs once,
    # in the SQLite half (the PostgreSQL half's summary counts them as deselected).
    if not postgres_url():
        return
    once = [item for item in items if item.get_closest_marker("database_independent")]
    if once:
        config.hook.pytest_deselected(items=once)
        items[:] = [item for item in items if not item.get_closest_marker("database_independent")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One real server (and database) shared by the tests of a module."""
    with live_server_any_db(tmp_path_factory.mktemp("live")) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    """One headless Debian chromium (Playwright) shared by the browser tests of a module."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and its key (PEM paths)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key
