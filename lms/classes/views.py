"""Browser pages of the classes domain."""

from flask import Blueprint

bp = Blueprint("classes_views", __name__)
