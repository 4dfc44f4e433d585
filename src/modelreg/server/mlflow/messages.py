"""Request messages as MLflow clients send them: JSON bodies for POST, PATCH and DELETE, query
strings for GET (repeated keys for list fields), int64 fields as numbers or strings.

``Message`` merges the query string and the JSON body and reads typed fields from them, with
MLflow's wording for missing or malformed parameters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Request

from modelreg.server.mlflow.errors import invalid


class Message:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def has(self, key: str) -> bool:
        return self.data.get(key) not in (None, "")

    def text(self, key: str, default: str | None = None) -> str | None:
        value = self.data.get(key, default)
        if isinstance(value, list):
            value = value[-1] if value else default
        if value is None:
            return None
        if isinstance(value, dict):
            raise invalid(f"Parameter '{key}' must be a string.")
        return value if isinstance(value, str) else json.dumps(value)

    def required(self, key: str) -> str:
        value = self.text(key)
        if value is None or value == "":
            raise invalid(
                f"Missing value for required parameter '{key}'. See the API docs for more "
                "information about request parameters."
            )
        return value

    def integer(self, key: str, default: int | None = None) -> int | None:
        value = self.text(key)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise invalid(f"Parameter '{key}' must be an integer, got '{value}'.") from None

    def version(self, key: str = "version") -> int:
        text = self.required(key)
        try:
            return int(text)
        except ValueError:
            raise invalid(f"Parameter '{key}' must be an integer, got '{text}'.") from None

    def number(self, key: str) -> float:
        value = self.data.get(key)
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise invalid(f"Parameter '{key}' must be a number, got '{value}'.") from None

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.data.get(key)
        if isinstance(value, list):
            value = value[-1] if value else None
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() == "true"

    def items(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def strings(self, key: str) -> list[str]:
        return [str(item) for item in self.items(key)]

    def key_values(self, key: str = "tags") -> dict[str, str]:
        """A repeated ``{key, value}`` field as a mapping (later entries win)."""
        found: dict[str, str] = {}
        for item in self.items(key):
            if not isinstance(item, dict) or not isinstance(item.get("key"), str):
                raise invalid(f"Each entry of '{key}' needs a string 'key'.")
            value = item.get("value", "")
            found[item["key"]] = value if isinstance(value, str) else json.dumps(value)
        return found

    def objects(self, key: str) -> list[Mapping[str, Any]]:
        items = self.items(key)
        if not all(isinstance(item, dict) for item in items):
            raise invalid(f"Each entry of '{key}' must be an object.")
        return items


async def read_message(request: Request) -> Message:
    data: dict[str, Any] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        data[key] = values if len(values) > 1 else values[0]
    if request.method != "GET":
        body = await request.body()
        if body.strip():
            try:
                parsed = json.loads(body)
            except ValueError as error:
                raise invalid(f"Malformed request body: not valid JSON ({error}).") from None
            if not isinstance(parsed, dict):
                raise invalid("Malformed request body: expected a JSON object.")
            data.update(parsed)
    return Message(data)


MessageDep = Annotated[Message, Depends(read_message)]
