"""What the staff area's view modules share: the ``staff`` blueprint, its labels and small helpers.

``staff.py`` (dashboard, editor, preview, uploads), ``staff_review.py`` (the review loop) and
``staff_accounts.py`` (accounts, audit log) add their routes to this blueprint and import their
helpers from here, so none of them imports another.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, get_flashed_messages

from .. import content
from ..content.project_model import PROJECT_KIND
from ..content.schema import KIND_HEADINGS, LEARNING_KIND, STATUS_LABELS
from ..staff import accounts, editing
from ..staff.models import User, action_name
from .auth import current_user

bp = Blueprint("staff", __name__, url_prefix="/staff")
STATUS_NAMES = STATUS_LABELS
EDIT_KINDS = {kind: KIND_HEADINGS[kind] for kind in (*content.KINDS, PROJECT_KIND, LEARNING_KIND)}
"""Everything the editor can write: entries and 民生实事 projects."""


def me() -> User:
    """The logged-in staff user (the views that call this are guarded by ``require``)."""
    user = current_user()
    assert user is not None
    return user


def kind_or_404(kind: str, slug: str | None = None) -> str:
    """404 for an unknown kind, or a slug no entry can have (it would only become a bad file name)."""
    if kind not in EDIT_KINDS or (slug is not None and not content.SLUG_RE.match(slug)):
        abort(404)
    return kind


def is_reviewer() -> bool:
    """Whether the logged-in user may publish, return and restore."""
    return accounts.can(me().role, "reviewer")


def flash_outcome(outcome: editing.Outcome) -> None:
    """Show what a save or action did, and a search index warning if there was one."""
    if outcome.message:
        flash(outcome.message, "ok")
    if outcome.index_warning:
        flash(outcome.index_warning, "warn")


@bp.record_once
def _staff_globals(state: Any) -> None:
    state.app.jinja_env.globals.update(
        STATUS_NAMES=STATUS_NAMES, ROLE_NAMES=accounts.ROLE_NAMES, EDIT_KINDS=EDIT_KINDS, action_name=action_name
    )


@bp.app_template_global()
def flashed() -> list[tuple[str, str]]:
    """The flashed messages with their categories, for the staff layout."""
    messages: list[tuple[str, str]] = get_flashed_messages(with_categories=True)  # type: ignore[assignment]
    return messages
