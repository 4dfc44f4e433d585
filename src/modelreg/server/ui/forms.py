"""What every UI form shares: the CSRF check, form-field types, reading numbers and tags,
and the redirect after a successful POST."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse

from modelreg.domain.errors import InvalidArgumentError
from modelreg.server.ui.csrf import FIELD
from modelreg.server.ui.present import parse_tags
from modelreg.server.ui.rendering import get_ui

# Every field defaults to "" so a missing field reaches the handler's own checks (and the CSRF
# check first) instead of failing request validation with a JSON answer.
FormText = Annotated[str, Form()]


def require_csrf(request: Request, csrf_token: Annotated[str, Form(alias=FIELD)] = "") -> None:
    """Runs before the handler: a POST without the page's token changes nothing."""
    get_ui(request).csrf.check(request, csrf_token)


CSRF_CHECKED = [Depends(require_csrf)]


def version_number(text: str) -> int:
    try:
        number = int(text.strip().lstrip("v"))
    except ValueError:
        raise InvalidArgumentError(
            f"choose a version number, not {text.strip()[:40]!r}", field="version"
        ) from None
    if number < 1:
        raise InvalidArgumentError("version numbers start at 1", field="version")
    return number


def tags_from_form(text: str) -> dict[str, str]:
    try:
        return parse_tags(text)
    except ValueError as error:
        raise InvalidArgumentError(str(error), field="tags") from error


def tag_changes(
    before: Mapping[str, str], after: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """The ``set_tags`` and ``delete_tags`` that turn ``before`` into ``after``."""
    changed = {key: value for key, value in after.items() if before.get(key) != value}
    removed = [key for key in before if key not in after]
    return changed, removed


def text_block(text: str) -> str:
    """Browsers send CRLF line ends from textareas; store LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def see_other(location: str) -> RedirectResponse:
    """Post/redirect/get: a reload after an action does not repeat it."""
    return RedirectResponse(location, status_code=303)
