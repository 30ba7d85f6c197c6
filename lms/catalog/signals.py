"""Catalog events other domains react to without the catalog importing them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender: Course, just written by a package import (kwargs: created, lessons_changed).
course_imported = _signals.signal("course-imported")
