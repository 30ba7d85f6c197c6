"""JSON API of the auth domain under /api/v1."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/api/v1")
