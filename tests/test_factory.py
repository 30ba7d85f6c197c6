import importlib

from flask import Flask

from lms import BLUEPRINTS, JOB_HANDLERS, PACKAGE_PARTS, RECEIVERS, create_app
from lms.catalog.packages import PARTS
from lms.config import config_for_tests, load_config
from lms.jobs.services import HANDLERS


def test_create_app_honours_config_mapping(database_url: str) -> None:
    app = create_app(config_for_tests() | {"SQLALCHEMY_DATABASE_URI": database_url, "X": 1})
    assert app.config["X"] == 1
    assert app.config["TESTING"] is True


def test_every_blueprint_is_registered(app: Flask) -> None:
    assert len(app.blueprints) == len(BLUEPRINTS)


def test_every_receiver_is_connected_once(app: Flask) -> None:
    for signal, target in RECEIVERS:
        connected = [f"{r.__module__}:{r.__name__}" for r in signal.receivers_for(None)]
        assert connected.count(target) == 1, target


def test_every_job_kind_runs_its_handler(app: Flask) -> None:
    assert {kind: f"{f.__module__}:{f.__name__}" for kind, f in HANDLERS.items()} == dict(
        JOB_HANDLERS
    )
    for kind, target in JOB_HANDLERS:
        module = importlib.import_module(target.split(":")[0])
        submitted = {v for name, v in vars(module).items() if name.endswith("JOB_KIND")}
        assert kind in submitted, "the kind the module submits is the one registered"


def test_every_package_part_is_registered(app: Flask) -> None:
    assert {name: part.validate.__module__ for name, part in PARTS.items()} == {
        name: validate.split(":")[0] for name, validate, _ in PACKAGE_PARTS
    }


def test_secret_key_is_generated_once_and_kept(tmp_path) -> None:
    first = load_config(str(tmp_path), env={})["SECRET_KEY"]
    second = load_config(str(tmp_path), env={})["SECRET_KEY"]
    assert first == second
    assert len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_variables_are_read(tmp_path) -> None:
    config = load_config(
        str(tmp_path),
        env={
            "LMS_SECRET_KEY": "s",
            "LMS_DATABASE_URL": "postgres://u@h/db",
            "LMS_REDIS_URL": "redis://localhost:6379/0",
            "LMS_BASE_URL": "https://lms.example.vn/",
            "LMS_DEFAULT_LOCALE": "en",
        },
    )
    assert config["SECRET_KEY"] == "s"
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"
    assert config["REDIS_URL"] == "redis://localhost:6379/0"
    assert config["BASE_URL"] == "https://lms.example.vn"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["BABEL_DEFAULT_LOCALE"] == "en"
    assert config["JOBS_EAGER"] is False


def test_default_database_is_sqlite_under_instance(tmp_path) -> None:
    config = load_config(str(tmp_path), env={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'lms.sqlite3'}"
