"""JSON API of the stats domain under /api/v1."""

from flask import Blueprint

bp = Blueprint("stats", __name__, url_prefix="/api/v1")
