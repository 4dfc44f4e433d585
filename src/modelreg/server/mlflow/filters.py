"""MLflow's search filters and ``order_by`` lists, translated to modelreg's search language
(``domain/filters.py``), so MLflow searches run on the same search code as native ones.

MLflow filters are ``AND``-ed comparisons (no ``OR``, no parentheses)::

    name LIKE 'fraud%' AND tags.`team` = 'risk' AND version_number > 2

* attributes: ``name`` (models and versions), ``run_id``, ``version_number`` and
  ``source_path`` (versions; modelreg's ``mlflow_source``);
* ``tag.<key>``/``tags.<key>``, the key optionally in back-quotes or double quotes;
* operators ``=``, ``!=`` (``<>``), ``LIKE``, ``ILIKE`` for strings, ``IN``/``NOT IN`` lists
  for ``name``, ``run_id`` and ``source_path``, and ``= != < <= > >=`` for ``version_number``;
* values in single or double quotes, integers for ``version_number``.

MLflow has no escape character in LIKE patterns, so a backslash stays a literal backslash. The
client appends ``tag.`mlflow.prompt.is_prompt` != 'true'`` to hide prompts; as in MLflow, it
matches models without that tag too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from modelreg.server.mlflow.errors import invalid

PROMPT_TAG = "mlflow.prompt.is_prompt"

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^'\\]|''|\\.)*'|"(?:[^"\\]|""|\\.)*")
    | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?![\w.]))
    | (?P<op>!=|<>|<=|>=|==|=|<|>)
    | (?P<paren>[(),])
    | (?P<ident>(?:`[^`]*`|[A-Za-z_]\w*)(?:\.(?:`[^`]*`|"[^"]*"|[\w\-]+))*)
    )""",
    re.VERBOSE,
)
_WORD_OPS = {"LIKE", "ILIKE", "IN", "NOT", "AND", "OR"}


@dataclass(frozen=True, slots=True)
class Clause:
    kind: str  # "attribute" or "tag"; for runs also "metric", "param" and "dataset"
    key: str
    op: str
    value: str | int | float | tuple[str, ...] | None


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if not text[position:].strip():
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise invalid(f"Invalid filter '{text}': cannot parse at '{text[position:][:40]}'")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "ident" and value.upper() in _WORD_OPS:
            kind = "word"
            value = value.upper()
        tokens.append((kind, value))
        position = match.end()
    return tokens


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"`":
        quote = text[0]
        inner = text[1:-1]
        return inner.replace(quote * 2, quote)
    return text


def parse_filter(
    text: str | None, identify: Callable[[str], tuple[str, str]] | None = None
) -> list[Clause]:
    """``AND``-ed comparisons of an MLflow filter; an empty filter is an empty list.
    ``identify`` splits a field into (kind, key): by default ``tag``s and ``attribute``s."""
    identify = identify or _identifier
    tokens = _tokens(text or "")
    clauses: list[Clause] = []
    position = 0

    def fail(reason: str) -> None:
        raise invalid(f"Invalid filter '{text}': {reason}")

    while position < len(tokens):
        if clauses:
            if tokens[position] != ("word", "AND"):
                fail(f"expected AND, found {tokens[position][1]!r} (only AND is supported)")
            position += 1
        if position + 2 > len(tokens) or tokens[position][0] != "ident":
            fail("expected a comparison such as name = 'value'")
        kind, key = identify(tokens[position][1])
        position += 1
        op_kind, op = tokens[position]
        position += 1
        if op_kind == "ident" and op.upper() == "IS":
            negated = position < len(tokens) and tokens[position] == ("word", "NOT")
            position += 1 if negated else 0
            if position >= len(tokens) or tokens[position][1].upper() != "NULL":
                fail(f"expected NULL after {key!r} IS")
            clauses.append(Clause(kind, key, "IS NOT NULL" if negated else "IS NULL", None))
            position += 1
            continue
        if op_kind == "word" and op == "NOT":
            if position >= len(tokens) or tokens[position] != ("word", "IN"):
                fail("expected IN after NOT")
            op = "NOT IN"
            position += 1
        elif op_kind == "op":
            op = {"==": "=", "<>": "!="}.get(op, op)
        elif op_kind != "word" or op not in {"LIKE", "ILIKE", "IN"}:
            fail(f"expected a comparison operator after {key!r}")
        value: str | int | float | tuple[str, ...]
        if op in {"IN", "NOT IN"}:
            value, position = _value_list(tokens, position)
        else:
            if position >= len(tokens) or tokens[position][0] not in {"string", "number"}:
                fail(f"expected a value after {key!r} {op}")
            value_kind, raw = tokens[position]
            value = _unquote(raw) if value_kind == "string" else _number(raw)
            position += 1
        clauses.append(Clause(kind, key, op, value))
    return clauses


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def _value_list(tokens: list[tuple[str, str]], position: int) -> tuple[tuple[str, ...], int]:
    if position >= len(tokens) or tokens[position] != ("paren", "("):
        raise invalid("Invalid filter: expected '(' after IN")
    position += 1
    values: list[str] = []
    while position < len(tokens):
        kind, raw = tokens[position]
        if kind == "string" or kind == "number":
            values.append(_unquote(raw))
        elif (kind, raw) == ("paren", ")") and values:
            return tuple(values), position + 1
        elif (kind, raw) != ("paren", ","):
            break
        position += 1
    raise invalid("Invalid filter: expected a list of quoted values such as ('a', 'b')")


def _identifier(text: str) -> tuple[str, str]:
    if text.startswith("`") and text.endswith("`") and text.count("`") == 2:
        text = text[1:-1]  # a whole back-quoted field, such as `name`
    prefix, dot, rest = text.partition(".")
    if dot and prefix.lower() in {"tag", "tags"}:
        return "tag", _unquote(rest)
    if dot and prefix.lower() in {"attribute", "attributes"}:
        return "attribute", _unquote(rest)
    return "attribute", _unquote(text)


# -- translation --------------------------------------------------------------------------------

_STRING_OPS = {"=", "!=", "LIKE", "ILIKE"}
_LIST_OPS = {"IN", "NOT IN"}
_NUMBER_OPS = {"=", "!=", "<", "<=", ">", ">="}
_MODEL_ATTRIBUTES = {"name": "name"}
_VERSION_ATTRIBUTES = {
    "name": "name",
    "run_id": "run_id",
    "version_number": "version",
    "source_path": "mlflow_source",
}


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _key(key: str) -> str:
    return "`" + key.replace("`", "``") + "`"


def _string(value: object, op: str) -> str:
    text = str(value)
    if op in {"LIKE", "ILIKE"}:
        text = text.replace("\\", "\\\\")  # MLflow's LIKE has no escape character
    return _quote(text)


def _condition(clause: Clause, attributes: dict[str, str]) -> str:
    if clause.kind == "tag":
        if clause.op not in _STRING_OPS:
            raise invalid(f"Invalid comparator '{clause.op}' for tag {clause.key!r}")
        field = f"tags.{_key(clause.key)}"
        hides_prompts = (clause.op, str(clause.value).lower()) in {("!=", "true"), ("=", "false")}
        if clause.key == PROMPT_TAG and hides_prompts:
            return f"({field} IS NULL OR {field} != 'true')"
        return f"{field} {clause.op} {_string(clause.value, clause.op)}"
    if clause.key not in attributes:
        raise invalid(
            f"Invalid attribute key '{clause.key}' specified. Valid keys are {sorted(attributes)}"
        )
    field = attributes[clause.key]
    if field == "version":
        if clause.op not in _NUMBER_OPS | _LIST_OPS:
            raise invalid(f"Invalid comparator '{clause.op}' for version_number")
        numbers = clause.value if isinstance(clause.value, tuple) else (clause.value,)
        if not all(str(n).lstrip("+-").isdigit() for n in numbers):
            raise invalid("version_number compares with integers only")
        if isinstance(clause.value, tuple):
            return f"version {clause.op} ({', '.join(str(int(n)) for n in clause.value)})"
        return f"version {clause.op} {int(str(clause.value))}"
    if clause.op in _LIST_OPS:
        if not isinstance(clause.value, tuple):
            raise invalid(f"{clause.op} needs a list of values")
        return f"{field} {clause.op} ({', '.join(_quote(v) for v in clause.value)})"
    if clause.op not in _STRING_OPS:
        raise invalid(f"Invalid comparator '{clause.op}' for attribute {clause.key!r}")
    return f"{field} {clause.op} {_string(clause.value, clause.op)}"


_MODEL_ORDER = {
    "name": "name",
    "timestamp": "updated_at",
    "last_updated_timestamp": "updated_at",
    "creation_timestamp": "created_at",
}
_VERSION_ORDER = {
    "name": "name",
    "version_number": "version",
    "timestamp": "created_at",
    "creation_timestamp": "created_at",
    "last_updated_timestamp": "updated_at",
}


def _order(order_by: list[str], fields: dict[str, str], defaults: list[str]) -> str:
    items: list[str] = []
    seen: set[str] = set()
    for entry in order_by:
        parts = entry.strip().split()
        if not parts or len(parts) > 2:
            raise invalid(f"Invalid order_by clause '{entry}'")
        key = parts[0].strip("`")
        key = key.split(".", 1)[1] if key.startswith("attribute.") else key
        direction = parts[1].upper() if len(parts) == 2 else "ASC"
        if key not in fields or direction not in {"ASC", "DESC"}:
            raise invalid(
                f"Invalid order by key '{entry}' specified. Valid keys are {sorted(fields)}"
            )
        if key in seen:
            raise invalid(f"`order_by` contains duplicate fields: {order_by}")
        seen.add(key)
        items.append(f"{fields[key]} {direction}")
    for default in defaults:
        field = default.split()[0]
        if not any(item.split()[0] == field for item in items):
            items.append(default)
    return "ORDER BY " + ", ".join(items)


def model_search(filter_text: str | None, order_by: list[str]) -> str:
    """An MLflow registered-model search as a modelreg models filter."""
    where = [_condition(c, _MODEL_ATTRIBUTES) for c in parse_filter(filter_text)]
    order = _order(order_by, _MODEL_ORDER, ["name ASC"])
    return " AND ".join(where) + (" " if where else "") + order


def version_search(filter_text: str | None, order_by: list[str]) -> str:
    """An MLflow model-version search as a modelreg versions filter."""
    where = [_condition(c, _VERSION_ATTRIBUTES) for c in parse_filter(filter_text)]
    defaults = ["name ASC", "version DESC"] if order_by else ["created_at DESC"]
    order = _order(order_by, _VERSION_ORDER, defaults)
    if not order_by:
        order += ", name ASC, version DESC"
    return " AND ".join(where) + (" " if where else "") + order
