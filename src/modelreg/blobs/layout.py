"""Where the content-addressed store keeps things inside an ``ObjectBackend``.

    <backend root>
    ├── blobs/
    │   ├── blake3/
    │   │   └── ab/                      first two hex characters, to keep folders small
    │   │       └── ab12…ef              committed blob: immutable, named by its full hex digest
    │   └── sha256/
    │       └── 9f/
    │           └── 9f86…08
    ├── chunks/                          chunk pool of chunked blobs (blobs/chunks.py): same
    │   └── blake3/ab/ab12…ef            shape as blobs/, named by the chunk's own digest
    ├── recipes/                         a blob kept as chunks: JSON list of chunk digests and
    │   └── blake3/cd/cd34…01            sizes, named by the whole blob's digest (recipes.py)
    └── uploads/
        └── <upload-id>/                 one folder per upload; may hold more files later
            └── data                     the bytes of an upload not yet moved into place

Keys are ``/``-separated and never start with ``/``. Everything under ``blobs/`` that does not
match the shape above is ignored by listings (it is not ours); everything under ``uploads/`` is
temporary and may be removed by garbage collection once abandoned.
"""

from __future__ import annotations

import re

from modelreg.domain.digests import Digest
from modelreg.domain.errors import InvalidArgumentError

BLOBS_PREFIX = "blobs/"
UPLOADS_PREFIX = "uploads/"
UPLOAD_DATA = "data"

_UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def blob_key(digest: Digest) -> str:
    """Key of the committed blob ``digest``: ``blobs/<algorithm>/<first two hex>/<hex>``."""
    return f"{BLOBS_PREFIX}{digest.algorithm}/{digest.hex[:2]}/{digest.hex}"


def upload_key(upload_id: str) -> str:
    """Key of the data of upload ``upload_id``: ``uploads/<upload-id>/data``."""
    if not _UPLOAD_ID.fullmatch(upload_id):
        raise InvalidArgumentError(
            f"invalid upload id {upload_id[:80]!r}: expected 1-128 letters, digits, '_' or '-'",
            field="upload_id",
        )
    return f"{UPLOADS_PREFIX}{upload_id}/{UPLOAD_DATA}"


def parse_blob_key(key: str) -> Digest | None:
    """The digest a ``blobs/…`` key names, or None when the key is not a well-formed blob key."""
    parts = key.split("/")
    if len(parts) != 4 or f"{parts[0]}/" != BLOBS_PREFIX:
        return None
    _, algorithm, fanout, hexpart = parts
    if fanout != hexpart[:2]:
        return None
    try:
        return Digest(algorithm, hexpart)
    except InvalidArgumentError:
        return None


def parse_upload_key(key: str) -> str | None:
    """The upload id of a key inside ``uploads/<upload-id>/``, or None for any other key."""
    parts = key.split("/")
    if len(parts) < 3 or f"{parts[0]}/" != UPLOADS_PREFIX or not _UPLOAD_ID.fullmatch(parts[1]):
        return None
    if any(not part for part in parts[2:]):
        return None
    return parts[1]
