"""Browser pages of the certificates domain."""

from flask import Blueprint

bp = Blueprint("certificates_views", __name__)
