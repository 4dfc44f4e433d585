"""``error_for_code`` rebuilds every error class from its stable code, as the SDK does."""

import gc

import pytest

from modelreg.domain import errors
from modelreg.domain.errors import ModelregError, error_for_code

DOMAIN_ERRORS = [
    errors.NotFoundError,
    errors.ModelNotFoundError,
    errors.VersionNotFoundError,
    errors.AliasNotFoundError,
    errors.BlobNotFoundError,
    errors.UploadNotFoundError,
    errors.AlreadyExistsError,
    errors.InvalidArgumentError,
    errors.InvalidFilterError,
    errors.LimitExceededError,
    errors.MissingBlobsError,
    errors.DigestMismatchError,
    errors.ConflictError,
    errors.PermissionDeniedError,
    errors.QuarantinedError,
    errors.UnauthenticatedError,
    errors.VerificationError,
    errors.UnavailableError,
    errors.StorageFullError,
    errors.ProtectedAliasError,
    errors.PolicyViolationError,
    errors.PolicyNotFoundError,
    errors.PromotionNotFoundError,
    errors.WebhookNotFoundError,
    errors.UserNotFoundError,
    errors.TeamNotFoundError,
    errors.TokenNotFoundError,
    errors.SigningKeyNotFoundError,
]


def test_every_domain_error_is_listed_here():
    defined = {
        value
        for value in vars(errors).values()
        if isinstance(value, type)
        and issubclass(value, ModelregError)
        and value is not ModelregError
    }
    assert defined == set(DOMAIN_ERRORS)


def test_codes_are_unique():
    codes = [cls.code for cls in [ModelregError, *DOMAIN_ERRORS]]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("cls", DOMAIN_ERRORS, ids=lambda cls: cls.code)
def test_error_for_code_rebuilds_the_class(cls):
    error = error_for_code(cls.code, "it went wrong", {"model": "m", "version": 3})
    assert type(error) is cls
    assert error.code == cls.code
    assert error.message == "it went wrong"
    assert str(error) == "it went wrong"
    assert error.details == {"model": "m", "version": 3}


def test_rebuilt_errors_keep_their_hierarchy():
    error = error_for_code("MODEL_NOT_FOUND", "gone")
    assert isinstance(error, errors.NotFoundError)
    assert isinstance(error_for_code("INVALID_FILTER", "bad"), errors.InvalidArgumentError)
    assert isinstance(error_for_code("LIMIT_EXCEEDED", "big"), errors.InvalidArgumentError)


def test_error_for_code_without_details_has_empty_details():
    assert error_for_code("CONFLICT", "no").details == {}


def test_unknown_code_becomes_base_error_keeping_the_code():
    error = error_for_code("QUOTA_EXHAUSTED", "slow down", {"limit": 10})
    assert type(error) is ModelregError
    assert error.message == "slow down"
    assert error.details == {"limit": 10, "code": "QUOTA_EXHAUSTED"}


def test_internal_code_becomes_base_error_without_extra_details():
    error = error_for_code("INTERNAL", "boom")
    assert type(error) is ModelregError
    assert error.details == {}


def test_every_domain_code_has_an_http_status():
    from modelreg.server.errors import STATUS_BY_CODE

    for cls in [ModelregError, *DOMAIN_ERRORS]:
        assert cls.code in STATUS_BY_CODE, cls.code


def test_error_for_code_ignores_subclasses_defined_outside_the_domain():
    """A front end may subclass a domain error (keeping its code); the SDK must still rebuild
    the domain class, whatever else happens to be imported in the process."""

    class FrontEndDenied(errors.PermissionDeniedError):
        pass

    try:
        rebuilt = error_for_code("PERMISSION_DENIED", "no")
        assert type(rebuilt) is errors.PermissionDeniedError
    finally:
        del FrontEndDenied
        gc.collect()
