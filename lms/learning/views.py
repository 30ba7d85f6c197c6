"""Browser pages of the learning domain."""

from flask import Blueprint

bp = Blueprint("learning_views", __name__)
