"""The article state machine: the table below is the whole specification of who may go where.

    draft → submitted → in_review → scheduled / published
    rejected → (edited: draft) → submitted again
    published → unpublished (withdrawn by the author or an editor, taken down by moderation)

A live article can be resubmitted: its status follows the new revision through review while
`live_revision` keeps what readers see.
"""
from __future__ import annotations

from enum import StrEnum

from publishing.models import Article, ArticleStatus

D, S, R, SC, P, X, U = (
    ArticleStatus.DRAFT,
    ArticleStatus.SUBMITTED,
    ArticleStatus.IN_REVIEW,
    ArticleStatus.SCHEDULED,
    ArticleStatus.PUBLISHED,
    ArticleStatus.REJECTED,
    ArticleStatus.UNPUBLISHED,
)


class Action(StrEnum):
    EDIT = "edited"
    SUBMIT = "submitted"
    WITHDRAW = "withdrawn"
    DELETE = "deleted"
    REVIEW = "put in review"
    APPROVE = "published"
    SCHEDULE = "scheduled"
    REJECT = "rejected"
    PUBLISH_SCHEDULED = "published on schedule"
    RESCHEDULE = "rescheduled"
    UNPUBLISH = "unpublished"
    TAKE_DOWN = "taken down"


# Withdrawing a pending revision goes back to where the article rested: published if a revision
# is still live, a draft otherwise.
RESTING = "resting"
# Deleting removes the article; there is no state after it.
GONE = "gone"

TRANSITIONS: dict[tuple[str, Action], str] = {
    (D, Action.EDIT): D,
    (X, Action.EDIT): D,
    (P, Action.EDIT): P,
    (U, Action.EDIT): U,
    (D, Action.SUBMIT): S,
    (X, Action.SUBMIT): S,
    (P, Action.SUBMIT): S,
    (U, Action.SUBMIT): S,
    (S, Action.REVIEW): R,
    (S, Action.APPROVE): P,
    (R, Action.APPROVE): P,
    (S, Action.SCHEDULE): SC,
    (R, Action.SCHEDULE): SC,
    (S, Action.REJECT): X,
    (R, Action.REJECT): X,
    (SC, Action.PUBLISH_SCHEDULED): P,
    (SC, Action.RESCHEDULE): SC,
    (S, Action.WITHDRAW): RESTING,
    (R, Action.WITHDRAW): RESTING,
    (SC, Action.WITHDRAW): RESTING,
    (P, Action.WITHDRAW): U,
    (P, Action.UNPUBLISH): U,
    (P, Action.TAKE_DOWN): U,
    (S, Action.TAKE_DOWN): U,
    (R, Action.TAKE_DOWN): U,
    (SC, Action.TAKE_DOWN): U,
    (D, Action.DELETE): GONE,
    (X, Action.DELETE): GONE,
    (P, Action.DELETE): GONE,
    (U, Action.DELETE): GONE,
}

# Why a state refuses most actions, so a 409 tells the author what to do instead.
HINTS: dict[str, str] = {
    S: "it is waiting for moderation; withdraw it first",
    R: "a moderator is reviewing it; withdraw it first",
    SC: "it is approved and scheduled; withdraw it first",
    D: "it has not been submitted",
    X: "it was rejected; edit and submit it again",
    P: "it is live",
    U: "it is not live",
}


class TransitionNotAllowed(Exception):
    """The article's state does not allow this action; the message says why."""


def transition_target(article: Article, action: Action) -> str:
    """The status `action` leads to from where `article` is, or TransitionNotAllowed saying why."""
    target = TRANSITIONS.get((article.status, action))
    # Moderation can only take down what readers can see.
    if action is Action.TAKE_DOWN and not article.is_live:
        target = None
    if target is None:
        label = ArticleStatus(article.status).label.lower()
        hint = HINTS[article.status] if action is not Action.TAKE_DOWN else "it is not live"
        raise TransitionNotAllowed(f"an article that is {label} cannot be {action.value}: {hint}")
    if target == RESTING:
        return P if article.is_live else D
    return target
