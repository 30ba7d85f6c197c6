"""JSON API of the certificates domain under /api/v1."""

from flask import Blueprint

bp = Blueprint("certificates", __name__, url_prefix="/api/v1")
