"""Fixed confirmations of the governance actions, shown after their redirect (``?done=``)."""

from __future__ import annotations

GOVERNANCE_DONE_MESSAGES = {
    "promotion-requested": "Promotion requested.",
    "promotion-completed": "Promotion approved: the alias moved.",
    "promotion-approved": "Approval recorded; more approvals are needed before the alias moves.",
    "promotion-rejected": "Promotion rejected; the alias stays where it was.",
    "version-archived": "Version archived.",
    "version-restored": "Version restored.",
    "card-saved": "Model card saved as a new revision.",
}
