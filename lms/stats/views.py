"""Browser pages of the stats domain."""

from flask import Blueprint

bp = Blueprint("stats_views", __name__)
