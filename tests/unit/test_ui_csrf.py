"""The signed double-submit CSRF token."""

import pytest
from starlette.requests import Request

from modelreg.domain.errors import PermissionDeniedError
from modelreg.server.ui.csrf import COOKIE, CsrfGuard


def request_with(cookie: str | None = None, **headers: str) -> Request:
    raw = [(k.lower().replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    if cookie is not None:
        raw.append((b"cookie", f"{COOKIE}={cookie}".encode()))
    return Request({"type": "http", "method": "POST", "headers": raw, "scheme": "http"})


def test_issued_tokens_verify_and_differ():
    guard = CsrfGuard(b"secret")
    first, second = guard.issue(), guard.issue()
    assert first != second
    assert guard.is_valid(first)
    assert guard.is_valid(second)


def test_tokens_are_bound_to_the_secret():
    assert not CsrfGuard(b"one").is_valid(CsrfGuard(b"two").issue())
    assert CsrfGuard("same").is_valid(CsrfGuard(b"same").issue())


@pytest.mark.parametrize("token", [None, "", "abc", "a.b.c", "a.b", "ünï.cödé", "x" * 500])
def test_malformed_tokens_are_invalid(token):
    assert not CsrfGuard(b"secret").is_valid(token)


def test_a_page_reuses_a_valid_cookie_and_replaces_a_bad_one():
    guard = CsrfGuard(b"secret")
    token = guard.issue()
    assert guard.token_for(request_with(token)) == (token, False)
    fresh, must_set = guard.token_for(request_with("forged.value"))
    assert must_set
    assert guard.is_valid(fresh)
    assert guard.token_for(request_with())[1]


def test_check_needs_the_signed_cookie_and_the_same_field():
    guard = CsrfGuard(b"secret")
    token = guard.issue()
    guard.check(request_with(token), token)
    with pytest.raises(PermissionDeniedError, match="does not match"):
        guard.check(request_with(token), guard.issue())
    with pytest.raises(PermissionDeniedError, match="does not match"):
        guard.check(request_with(token), "")
    with pytest.raises(PermissionDeniedError, match="missing"):
        guard.check(request_with(), token)
    forged = CsrfGuard(b"other").issue()
    with pytest.raises(PermissionDeniedError, match="missing or was not issued"):
        guard.check(request_with(forged), forged)
    with pytest.raises(PermissionDeniedError, match="another site"):
        guard.check(request_with(token, sec_fetch_site="cross-site"), token)


def test_without_a_secret_each_guard_draws_its_own():
    assert not CsrfGuard().is_valid(CsrfGuard().issue())
