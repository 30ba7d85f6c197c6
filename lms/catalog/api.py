"""JSON API of the catalog domain under /api/v1."""

from flask import Blueprint

bp = Blueprint("catalog", __name__, url_prefix="/api/v1")
