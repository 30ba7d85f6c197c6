"""Administration of LRS clients under /api/v1/lrs-clients."""

from flask import Blueprint

bp = Blueprint("xapi_admin", __name__, url_prefix="/api/v1")
