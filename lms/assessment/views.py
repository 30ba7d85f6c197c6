"""Browser pages of the assessment domain."""

from flask import Blueprint

bp = Blueprint("assessment_views", __name__)
