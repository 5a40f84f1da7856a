"""The fuzz runner works with one command and reports a clean run as such."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.database_independent

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_short_fuzz_run_of_every_target_finds_nothing():
    pytest.importorskip("atheris")
    result = subprocess.run(
        [sys.executable, "-m", "fuzz", "--seconds", "4"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # The four seconds are shared by the three targets.
    assert "fuzz: envelope for 1 s" in result.stdout
    assert "fuzz: signature for 1 s" in result.stdout
    assert "fuzz: mail for 1 s" in result.stdout
    assert "fuzz: no findings" in result.stdout
