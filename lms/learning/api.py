"""JSON API of the learning domain under /api/v1."""

from flask import Blueprint

bp = Blueprint("learning", __name__, url_prefix="/api/v1")
