"""Model cards: a Markdown file shipped inside a version (``README.md``, ``MODEL_CARD.md``).

The card is read through the same service call the download API uses, only when it sits at the
top of the version's files and is small enough to render on a page.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelreg.domain.entities import ModelVersion
from modelreg.domain.errors import NotFoundError
from modelreg.service.uploads import Uploads

CARD_NAMES = ("model_card.md", "modelcard.md", "readme.md")
MAX_CARD_BYTES = 256 * 1024


@dataclass(frozen=True)
class ModelCard:
    path: str
    version: int
    text: str


def card_file(version: ModelVersion) -> str | None:
    by_name = {entry.path.lower(): entry for entry in version.files if "/" not in entry.path}
    for name in CARD_NAMES:
        entry = by_name.get(name)
        if entry is not None and entry.size <= MAX_CARD_BYTES:
            return entry.path
    return None


def read_card(uploads: Uploads, version: ModelVersion) -> ModelCard | None:
    path = card_file(version)
    if path is None:
        return None
    entry = next(entry for entry in version.files if entry.path == path)
    try:
        data = b"".join(uploads.open_blob(entry.digest, 0, entry.size))
    except NotFoundError:
        return None  # the page still renders; the files table shows what the version declares
    return ModelCard(path, version.version, data.decode("utf-8", errors="replace"))
