"""JSON API of the assessment domain under /api/v1."""

from flask import Blueprint

bp = Blueprint("assessment", __name__, url_prefix="/api/v1")
