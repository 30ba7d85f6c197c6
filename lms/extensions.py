"""Flask extensions, created unbound; ``create_app`` binds them with ``init_app``."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from lms.db import db

__all__ = ["babel", "csrf", "db", "login_manager", "migrate"]

migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
