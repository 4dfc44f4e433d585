"""The error hierarchy shared by every layer and rebuilt by the SDK from the wire.

    ModelregError                      code
    ├── NotFoundError                  NOT_FOUND
    │   ├── ModelNotFoundError         MODEL_NOT_FOUND
    │   ├── VersionNotFoundError       VERSION_NOT_FOUND
    │   ├── AliasNotFoundError         ALIAS_NOT_FOUND
    │   ├── BlobNotFoundError          BLOB_NOT_FOUND
    │   ├── UploadNotFoundError        UPLOAD_NOT_FOUND
    │   ├── PolicyNotFoundError        POLICY_NOT_FOUND
    │   ├── PromotionNotFoundError     PROMOTION_NOT_FOUND
    │   ├── WebhookNotFoundError       WEBHOOK_NOT_FOUND
    │   ├── UserNotFoundError          USER_NOT_FOUND
    │   ├── TeamNotFoundError          TEAM_NOT_FOUND
    │   ├── TokenNotFoundError         TOKEN_NOT_FOUND
    │   └── SigningKeyNotFoundError    SIGNING_KEY_NOT_FOUND
    ├── AlreadyExistsError             ALREADY_EXISTS
    ├── InvalidArgumentError           INVALID_ARGUMENT
    │   ├── InvalidFilterError         INVALID_FILTER
    │   ├── LimitExceededError         LIMIT_EXCEEDED
    │   └── MissingBlobsError          MISSING_BLOBS
    ├── DigestMismatchError            DIGEST_MISMATCH
    ├── ConflictError                  CONFLICT
    │   └── ProtectedAliasError        PROTECTED_ALIAS
    ├── PolicyViolationError           POLICY_VIOLATION
    ├── PermissionDeniedError          PERMISSION_DENIED
    │   └── QuarantinedError           QUARANTINED
    ├── UnauthenticatedError           UNAUTHENTICATED
    ├── VerificationError              VERIFICATION_FAILED
    └── UnavailableError               UNAVAILABLE

Every class carries a stable ``code``; the server maps codes to HTTP statuses in one table
(``server/errors.py``) and the SDK maps codes back to these classes (``error_for_code``).
"""

from __future__ import annotations

from typing import Any, ClassVar


class ModelregError(Exception):
    """Base of every error modelreg raises on purpose."""

    code: ClassVar[str] = "INTERNAL"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return self.message


class NotFoundError(ModelregError):
    code = "NOT_FOUND"


class ModelNotFoundError(NotFoundError):
    code = "MODEL_NOT_FOUND"


class VersionNotFoundError(NotFoundError):
    code = "VERSION_NOT_FOUND"


class AliasNotFoundError(NotFoundError):
    code = "ALIAS_NOT_FOUND"


class BlobNotFoundError(NotFoundError):
    code = "BLOB_NOT_FOUND"


class UploadNotFoundError(NotFoundError):
    code = "UPLOAD_NOT_FOUND"


class AlreadyExistsError(ModelregError):
    code = "ALREADY_EXISTS"


class InvalidArgumentError(ModelregError):
    code = "INVALID_ARGUMENT"


class InvalidFilterError(InvalidArgumentError):
    code = "INVALID_FILTER"


class LimitExceededError(InvalidArgumentError):
    code = "LIMIT_EXCEEDED"


class MissingBlobsError(InvalidArgumentError):
    """A commit names files whose content the registry has not received."""

    code = "MISSING_BLOBS"


class DigestMismatchError(ModelregError):
    """Content did not hash to the digest it was declared or stored under."""

    code = "DIGEST_MISMATCH"


class ConflictError(ModelregError):
    code = "CONFLICT"


class ProtectedAliasError(ConflictError):
    """A protected alias was moved or removed directly, or a version it names was deleted."""

    code = "PROTECTED_ALIAS"


class PolicyViolationError(ModelregError):
    """A version or promotion breaks the policy; ``details["violations"]`` lists every failed
    rule as ``{"rule": ..., "detail": ...}``."""

    code = "POLICY_VIOLATION"


class PolicyNotFoundError(NotFoundError):
    code = "POLICY_NOT_FOUND"


class PromotionNotFoundError(NotFoundError):
    code = "PROMOTION_NOT_FOUND"


class WebhookNotFoundError(NotFoundError):
    code = "WEBHOOK_NOT_FOUND"


class UserNotFoundError(NotFoundError):
    code = "USER_NOT_FOUND"


class TeamNotFoundError(NotFoundError):
    code = "TEAM_NOT_FOUND"


class TokenNotFoundError(NotFoundError):
    code = "TOKEN_NOT_FOUND"


class SigningKeyNotFoundError(NotFoundError):
    code = "SIGNING_KEY_NOT_FOUND"


class PermissionDeniedError(ModelregError):
    code = "PERMISSION_DENIED"


class QuarantinedError(PermissionDeniedError):
    """A version holds files a scanner found unsafe or suspicious; pulls need an override."""

    code = "QUARANTINED"


class UnauthenticatedError(ModelregError):
    """No credentials, or credentials that are unknown, expired or revoked."""

    code = "UNAUTHENTICATED"


class VerificationError(ModelregError):
    """A signature or a stored file does not match what was signed or recorded."""

    code = "VERIFICATION_FAILED"


class UnavailableError(ModelregError):
    """The registry (or its database) cannot be reached; retrying later may help."""

    code = "UNAVAILABLE"


class StorageFullError(ModelregError):
    """The blob store or the database has no room for what was sent (a full disk, a quota, a
    file-size limit); nothing of the request was kept. Retrying helps only once an operator
    has made room."""

    code = "STORAGE_FULL"


def _all_subclasses(cls: type[ModelregError]) -> list[type[ModelregError]]:
    found: list[type[ModelregError]] = [cls]
    for sub in cls.__subclasses__():
        found.extend(_all_subclasses(sub))
    return found


def error_for_code(code: str, message: str, details: dict[str, Any] | None = None) -> ModelregError:
    """Rebuild the error class that carries ``code``; unknown codes become ``ModelregError``."""
    # Only the classes defined here that declare their own code: front ends may subclass an
    # error for their own use (and inherit its code) without changing what the SDK raises.
    by_code = {
        cls.code: cls
        for cls in _all_subclasses(ModelregError)
        if cls.__module__ == __name__ and "code" in vars(cls)
    }
    cls = by_code.get(code, ModelregError)
    error = cls(message, **(details or {}))
    if cls is ModelregError and code != ModelregError.code:
        error.details.setdefault("code", code)
    return error
