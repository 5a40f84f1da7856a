"""Loaded by pytest before Django: gives the test run its own environment.

A run against PostgreSQL sets EXTDESK_DATABASE_URL before starting pytest;
without it the tests use SQLite in a throwaway data directory.
"""

import os
import tempfile

_DATA_DIR = tempfile.mkdtemp(prefix="extdesk-test-")
os.environ["EXTDESK_DATA_DIR"] = _DATA_DIR
os.environ.setdefault("EXTDESK_SECRET", "test-secret-0123456789-abcdef")
os.environ.setdefault("EXTDESK_BASE_URL", "http://testserver")
os.environ.setdefault("EXTDESK_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
