"""JSON API of the classes domain under /api/v1."""

from flask import Blueprint

bp = Blueprint("classes", __name__, url_prefix="/api/v1")
