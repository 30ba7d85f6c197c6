"""Operator commands: ``flask --app wsgi <group> <command>``.

Each domain owns its command group in ``lms/<domain>/cli.py``; this module only lists them.
"""

from __future__ import annotations

import importlib

from flask import Flask

#: ``module:attribute`` of every click group, in the order ``flask --help`` shows them.
GROUPS = (
    "lms.seed:seed_cli",
    "lms.auth.cli:users_cli",
    "lms.org.cli:units_cli",
    "lms.org.cli:headcounts_cli",
    "lms.catalog.cli:courses_cli",
    "lms.assessment.cli:assessment_cli",
    "lms.xapi.cli:lrs_client_cli",
    "lms.certificates.cli:certificates_cli",
    "lms.stats.cli:reports_cli",
    "lms.learning.cli:bridge_cli",
    "lms.jobs.cli:jobs_cli",
    "lms.messages.cli:messages_cli",
    "lms.privacy.cli:privacy_cli",
)


def register(app: Flask) -> None:
    for target in GROUPS:
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # that domain has no commands yet
                continue
            raise
        app.cli.add_command(getattr(module, attr))
