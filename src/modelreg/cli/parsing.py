"""Parsing ``key=value`` options into the mappings the SDK takes."""

from __future__ import annotations

from modelreg.domain.errors import InvalidArgumentError


def key_values(pairs: list[str] | None, option: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidArgumentError(f"{option} expects KEY=VALUE, got {pair!r}")
        result[key] = value
    return result


def metrics(pairs: list[str] | None) -> dict[str, float]:
    result: dict[str, float] = {}
    for key, value in key_values(pairs, "--metric").items():
        try:
            result[key] = float(value)
        except ValueError as error:
            raise InvalidArgumentError(f"--metric {key} must be a number, got {value!r}") from error
    return result
