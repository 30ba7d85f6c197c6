"""A real OpenID Connect provider (panva's ``oidc-provider``, run with node) for the tests.

``tests/oidc/provider.mjs`` configures it: one confidential client ``lms146`` with PKCE
required, signed ID tokens, and the dev interactions' login form, where a login name picks
an account of ``accounts`` (claims by login name) and any password is accepted.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import free_port

HERE = Path(__file__).resolve().parent
CLIENT_ID, CLIENT_SECRET = "lms146", "bi-mat-cua-lms146"
#: What the last provider printed (its warnings and errors), for a failing test to show.
LAST_LOG: list[str] = []


def ensure_installed() -> None:
    """``npm ci`` the provider once, at the version package-lock.json pins."""
    if not (HERE / "node_modules" / "oidc-provider").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"],
            cwd=HERE,
            check=True,
            timeout=300,
        )


@contextmanager
def oidc_provider(redirect_uri: str, accounts: dict[str, dict[str, Any]]) -> Iterator[str]:
    """Run the provider on a free port; yields its issuer URL."""
    ensure_installed()
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, after the process
    process = subprocess.Popen(
        ["node", str(HERE / "provider.mjs"), str(port), redirect_uri, json.dumps(accounts)],
        cwd=HERE,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(
                    f"{issuer}/.well-known/openid-configuration", timeout=2
                ):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    output = log.read().decode()
                    raise RuntimeError(f"oidc-provider did not start: {output}") from None
                time.sleep(0.1)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.seek(0)
        LAST_LOG[:] = [log.read().decode(errors="replace")]
        log.close()


def provider_setting(issuer: str, **extra: Any) -> dict[str, Any]:
    """One ``LMS_OIDC_PROVIDERS`` entry for the test provider, named ``tinh``."""
    return {
        "name": "tinh",
        "label": "Đăng nhập một lần của Tỉnh",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": "openid email phone profile unit",
        "unit_claim": "unit_code",
        **extra,
    }
