"""modelreg: a model registry, embedded by default, with a server, an SDK and a CLI."""

from modelreg.client.client import Client
from modelreg.domain.digests import Digest
from modelreg.domain.entities import (
    Alias,
    Event,
    FileEntry,
    Lineage,
    ModelVersion,
    RegisteredModel,
    VersionStatus,
)
from modelreg.domain.errors import (
    AliasNotFoundError,
    AlreadyExistsError,
    ConflictError,
    DigestMismatchError,
    InvalidArgumentError,
    InvalidFilterError,
    LimitExceededError,
    MissingBlobsError,
    ModelNotFoundError,
    ModelregError,
    NotFoundError,
    PermissionDeniedError,
    PolicyViolationError,
    ProtectedAliasError,
    UnavailableError,
    VersionNotFoundError,
)

__all__ = [
    "Alias",
    "AliasNotFoundError",
    "AlreadyExistsError",
    "Client",
    "ConflictError",
    "Digest",
    "DigestMismatchError",
    "Event",
    "FileEntry",
    "InvalidArgumentError",
    "InvalidFilterError",
    "LimitExceededError",
    "Lineage",
    "MissingBlobsError",
    "ModelNotFoundError",
    "ModelVersion",
    "ModelregError",
    "NotFoundError",
    "PermissionDeniedError",
    "PolicyViolationError",
    "ProtectedAliasError",
    "RegisteredModel",
    "UnavailableError",
    "VersionNotFoundError",
    "VersionStatus",
]
