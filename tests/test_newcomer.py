"""What a newcomer types: ``make run`` on another port keeps QR codes and links on that port."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _dry_run(*args: str, env: dict[str, str] | None = None) -> str:
    """``make -n`` prints the recipe without running it (nothing is installed or served)."""
    environ = {k: v for k, v in os.environ.items() if k != "LMS_BASE_URL"} | (env or {})
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", "run", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_make_run_serves_on_port_5000_by_default() -> None:
    out = _dry_run()
    assert "flask run --host 127.0.0.1 --port 5000" in out
    assert "base URL http://127.0.0.1:5000" in out


def test_make_run_port_moves_the_server_and_the_base_url() -> None:
    out = _dry_run("PORT=5001")
    assert "flask run --host 127.0.0.1 --port 5001" in out
    assert "base URL http://127.0.0.1:5001" in out


def test_a_base_url_set_by_the_operator_is_kept() -> None:
    out = _dry_run("PORT=5001", env={"LMS_BASE_URL": "https://lms.example.vn"})
    assert "--port 5001" in out
    assert "base URL https://lms.example.vn" in out
