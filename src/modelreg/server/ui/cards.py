"""Model cards for the model and version pages.

A version's card is the one registered for it (``Evaluations.get_card``, the same call as
``GET /api/v1/models/{name}/versions/{n}/card``); without one, a Markdown file shipped at the
top of the version's files (``MODEL_CARD.md``, ``modelcard.md``, ``README.md``) stands in, read
through the same service call downloads use, when it is small enough to render on a page.
YAML front matter is shown as a small table, not as Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelreg.domain.entities import ModelVersion
from modelreg.domain.errors import NotFoundError
from modelreg.domain.records import split_front_matter
from modelreg.wiring import Services

CARD_FILES = ("model_card.md", "modelcard.md", "readme.md")
MAX_CARD_BYTES = 256 * 1024


@dataclass(frozen=True)
class CardView:
    source: str  # "registered card, revision 2" or the file's path
    version: int
    text: str  # the Markdown body, front matter removed
    metadata: Mapping[str, Any] = field(default_factory=dict)


def card_file(version: ModelVersion) -> str | None:
    by_name = {entry.path.lower(): entry for entry in version.files if "/" not in entry.path}
    for name in CARD_FILES:
        entry = by_name.get(name)
        if entry is not None and entry.size <= MAX_CARD_BYTES:
            return entry.path
    return None


def read_card(services: Services, version: ModelVersion) -> CardView | None:
    try:
        card = services.evaluations.get_card(version.model_name, version.version)
    except NotFoundError:
        return _card_from_files(services, version)
    _front, body = split_front_matter(card.content)
    return CardView(
        f"registered card, revision {card.revision}", version.version, body, card.metadata
    )


def _card_from_files(services: Services, version: ModelVersion) -> CardView | None:
    path = card_file(version)
    if path is None:
        return None
    entry = next(entry for entry in version.files if entry.path == path)
    try:
        data = b"".join(services.uploads.open_blob(entry.digest, 0, entry.size))
    except NotFoundError:
        return None  # the page still renders; the files table shows what the version declares
    _front, body = split_front_matter(data.decode("utf-8", errors="replace"))
    return CardView(path, version.version, body)
