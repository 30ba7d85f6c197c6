"""The xAPI 1.0.3 Learning Record Store under /xapi."""

from flask import Blueprint

bp = Blueprint("xapi", __name__, url_prefix="/xapi")
