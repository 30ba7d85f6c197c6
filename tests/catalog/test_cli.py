"""``flask courses import``: the operator's way in, with file:line errors on stderr."""

from __future__ import annotations

from flask import Flask

from tests.catalog.helpers import BROKEN, GOOD


def test_import_command_imports_then_reports_unchanged(app: Flask, db: object) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["courses", "import", str(GOOD)])
    assert result.exit_code == 0, result.output
    assert "created   ky-nang-so-co-ban v1 (3 lessons)" in result.output
    again = runner.invoke(args=["courses", "import", str(GOOD)])
    assert "unchanged ky-nang-so-co-ban v1" in again.output
    listing = runner.invoke(args=["courses", "list"])
    assert "lanh-dao-chuyen-doi-so" in listing.output


def test_import_command_prints_every_error_and_fails(app: Flask, db: object) -> None:
    result = app.test_cli_runner().invoke(args=["courses", "import", str(BROKEN / "thieu-truong")])
    assert result.exit_code == 1
    assert "course.yaml:5: skill_areas: unknown skill area 'cooking'" in result.output
    assert "10 error(s); nothing was imported." in result.output


def test_dry_run_writes_nothing(app: Flask, db: object) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["courses", "import", str(GOOD), "--dry-run"])
    assert "2 package(s) valid" in result.output
    listing = runner.invoke(args=["courses", "list"])
    assert listing.output == ""
