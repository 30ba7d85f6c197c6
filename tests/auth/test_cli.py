from __future__ import annotations

from flask import Flask

from lms.auth import services
from lms.auth.models import Role, User
from lms.org.models import Unit


def test_users_create_makes_an_admin_with_password(app: Flask, units: dict[str, Unit]) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "users", "create", "--email", "Boss@Example.vn", "--password", "a long password",
            "--role", "admin", "--role", "official", "--unit", "HP", "--full-name", "Bùi Quang Huy",
            "--phone", "0988 146 146",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created user" in result.output
    user = services.find_user_by_login("boss@example.vn")
    assert user is not None
    assert user.roles == {Role.admin, Role.official}
    assert user.unit is units["HP"]
    assert user.phone == "0988146146"
    assert user.full_name == "Bùi Quang Huy"
    assert services.check_password(user, "a long password")


def test_users_create_reports_problems(app: Flask, units: dict[str, Unit]) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "x@example.vn", "--unit", "NOPE"])
    assert result.exit_code != 0
    assert "NOPE" in result.output
    result = runner.invoke(args=["users", "create", "--email", "bad", "--password", "p" * 10])
    assert result.exit_code != 0
    assert "email" in result.output
    result = runner.invoke(args=["users", "create", "--email", "x@example.vn", "--role", "king"])
    assert result.exit_code != 0


def test_users_create_refuses_a_taken_email(app: Flask, people: dict[str, User]) -> None:
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "hoa@example.vn"])
    assert result.exit_code != 0


def test_users_set_password(app: Flask, people: dict[str, User]) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "set-password", "--email", "hoa@example.vn", "--password", "new password!"]
    )
    assert result.exit_code == 0, result.output
    assert services.check_password(people["learner_hb"], "new password!")
    result = runner.invoke(
        args=["users", "set-password", "--login", "0912345678"],
        input="prompted password\nprompted password\n",
    )
    assert result.exit_code == 0, result.output
    assert services.check_password(people["learner_hb"], "prompted password")
    result = runner.invoke(
        args=["users", "set-password", "--email", "x@y.vn", "--password", "p" * 9]
    )
    assert result.exit_code != 0
    assert "No user" in result.output
    result = runner.invoke(
        args=["users", "set-password", "--email", "hoa@example.vn", "--password", "short"]
    )
    assert result.exit_code != 0
