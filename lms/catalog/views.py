"""Browser pages of the catalog domain."""

from flask import Blueprint

bp = Blueprint("catalog_views", __name__)
