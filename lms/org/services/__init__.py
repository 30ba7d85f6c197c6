"""The org domain's services: the unit tree, its history, people's units and headcounts.

Other domains import from here (``from lms.org.services import subtree_ids``); the
modules behind it are an implementation detail.
"""

from lms.org.services.changes import create_unit, merge_unit, move_unit, update_unit
from lms.org.services.headcounts import (
    existed_in,
    headcount_query,
    import_headcounts,
    reference_day,
    rollup_headcounts,
)
from lms.org.services.imports import import_units
from lms.org.services.people import (
    assign_user_unit,
    keep_memberships,
    memberships_kept,
    start_memberships,
    unit_of_user_on,
)
from lms.org.services.tree import (
    ancestors,
    can_change,
    can_see,
    ensure_can_browse,
    ensure_can_change,
    find_unit,
    get_unit,
    in_tree_order,
    is_descendant,
    path_on,
    province_of,
    scope_clause,
    subtree_ids,
    unit_query,
    units_valid_on,
    valid_on_clause,
    visible_unit,
)

__all__ = [
    "ancestors",
    "assign_user_unit",
    "can_change",
    "can_see",
    "create_unit",
    "ensure_can_browse",
    "ensure_can_change",
    "existed_in",
    "find_unit",
    "get_unit",
    "headcount_query",
    "import_headcounts",
    "import_units",
    "in_tree_order",
    "is_descendant",
    "keep_memberships",
    "memberships_kept",
    "merge_unit",
    "move_unit",
    "path_on",
    "province_of",
    "reference_day",
    "rollup_headcounts",
    "scope_clause",
    "start_memberships",
    "subtree_ids",
    "unit_of_user_on",
    "unit_query",
    "units_valid_on",
    "update_unit",
    "valid_on_clause",
    "visible_unit",
]
