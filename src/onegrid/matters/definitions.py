"""The attributes of a category (``Category.attributes``, edited as JSON in the back office; Open311
serves them as the service definition), checked for shape before they are served or used, and the
answers a reporter gives checked against them (kept in ``Matter.extra``).

A stored attribute is an object with the spec's keys (GeoReport v2 §GET Service Definition)::

    {"code": "DEPTH", "datatype": "number", "required": true, "variable": true, "order": 1,
     "description": "How deep is the hole (cm)?", "datatype_description": "centimetres",
     "values": [{"key": "...", "name": "..."}]}

``code`` and ``datatype`` are needed; ``variable`` defaults to true, ``required`` to false, ``order`` to the
position in the list, the texts to empty. ``values`` is needed (non-empty, unique keys) for the two list
types and refused for the others. Any other key is a mistake (a misspelt ``requried`` would otherwise
silently make an attribute optional), so it is reported, like every other problem, all at once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LISTS = frozenset({"singlevaluelist", "multivaluelist"})
KEYS = frozenset(
    {"code", "datatype", "required", "variable", "order", "description", "datatype_description", "values"}
)
CODE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
STRING_LIMIT = 500
TEXT_LIMIT = 4000

Answer = str | int | float | list[str]


@dataclass(frozen=True, slots=True)
class Value:
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Attribute:
    code: str
    datatype: str
    required: bool
    variable: bool
    order: int
    description: str
    datatype_description: str
    values: tuple[Value, ...]

    def document(self) -> dict[str, Any]:
        """The attribute as the spec lists its fields."""
        out: dict[str, Any] = {
            "variable": self.variable,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": self.datatype_description,
            "order": self.order,
            "description": self.description,
        }
        if self.datatype in LISTS:
            out["values"] = [{"key": v.key, "name": v.name} for v in self.values]
        return out


class BadDefinition(Exception):
    """The stored definition is not in the expected shape; ``problems`` says where."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _values(raw: Any, where: str, problems: list[str]) -> tuple[Value, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: a list type needs a non-empty list of values")
        return ()
    values: list[Value] = []
    for j, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) - {"key", "name"}:
            problems.append(f"{where} value {j + 1}: must be an object with key and name")
            continue
        key, name = item.get("key"), item.get("name")
        if not (isinstance(key, str) and key.strip()) and not _is_int(key):
            problems.append(f"{where} value {j + 1}: key must be a non-empty string or a whole number")
            continue
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where} value {j + 1}: name must be a non-empty string")
            continue
        values.append(Value(str(key).strip(), name.strip()))
    keys = [v.key for v in values]
    if len(set(keys)) != len(keys):
        problems.append(f"{where}: value keys must be unique")
    return tuple(values)


def parse(raw: Any) -> list[Attribute]:
    """The attributes of a stored definition in display order; BadDefinition listing every problem."""
    if raw in (None, "", []):
        return []
    if not isinstance(raw, list):
        raise BadDefinition(["the attributes must be a list"])
    problems: list[str] = []
    attributes: list[Attribute] = []
    for i, item in enumerate(raw):
        where = f"attribute {i + 1}"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        unknown = sorted(set(item) - KEYS)
        if unknown:
            problems.append(f"{where}: unknown key(s) {', '.join(unknown)}")
        code = item.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            problems.append(f"{where}: code must be 1-64 characters from A-Z a-z 0-9 _ . : -")
            continue
        where = f"attribute {code}"
        datatype = item.get("datatype")
        if datatype not in DATATYPES:
            problems.append(f"{where}: datatype must be one of {', '.join(DATATYPES)}")
            continue
        flags = {}
        for flag, default in (("required", False), ("variable", True)):
            value = item.get(flag, default)
            if not isinstance(value, bool):
                problems.append(f"{where}: {flag} must be true or false")
            flags[flag] = bool(value)
        order = item.get("order", i + 1)
        if not _is_int(order) or order < 1:
            problems.append(f"{where}: order must be a positive whole number")
            order = i + 1
        texts = {}
        for name in ("description", "datatype_description"):
            text = item.get(name, "")
            if not isinstance(text, str):
                problems.append(f"{where}: {name} must be text")
                text = ""
            texts[name] = text.strip()
        if datatype in LISTS:
            values = _values(item.get("values"), where, problems)
        else:
            if item.get("values"):
                problems.append(f"{where}: only list types have values")
            values = ()
        attributes.append(
            Attribute(
                code=code,
                datatype=datatype,
                required=flags["required"],
                variable=flags["variable"],
                order=order,
                description=texts["description"] or code,
                datatype_description=texts["datatype_description"],
                values=values,
            )
        )
    codes = [a.code for a in attributes]
    if len(set(codes)) != len(codes):
        problems.append("attribute codes must be unique")
    orders = [a.order for a in attributes]
    if len(set(orders)) != len(orders):
        problems.append("attribute orders must be unique")
    if problems:
        raise BadDefinition(problems)
    return sorted(attributes, key=lambda a: a.order)


def _one(attribute: Attribute, value: str) -> Answer:
    """The checked value of one answer; ValueError with the reason."""
    kind = attribute.datatype
    if "\x00" in value:
        raise ValueError("contains a NUL character")
    if kind == "string":
        if "\n" in value or "\r" in value:
            raise ValueError("is a single line (a string has no line breaks)")
        if len(value) > STRING_LIMIT:
            raise ValueError(f"is longer than {STRING_LIMIT} characters")
        return value
    if kind == "text":
        if len(value) > TEXT_LIMIT:
            raise ValueError(f"is longer than {TEXT_LIMIT} characters")
        return value
    if kind == "number":
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"must be a number, not {value!r}") from None
        if not math.isfinite(number):
            raise ValueError("must be a finite number")
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "datetime":
        try:
            moment = parse_datetime(value)
            day = parse_date(value) if moment is None else None
        except ValueError:
            moment = day = None
        if moment is not None:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            return moment.isoformat()
        if day is not None:
            return day.isoformat()
        raise ValueError(f"must be an ISO 8601 date or date-time, not {value!r}")
    keys = {v.key for v in attribute.values}
    if value not in keys:
        raise ValueError(f"{value!r} is not one of the keys {', '.join(sorted(keys))}")
    return value


def checked(
    attributes: list[Attribute], submitted: dict[str, list[str]]
) -> tuple[dict[str, Answer], list[tuple[str, str]]]:
    """The checked answers to the variable attributes, and every problem found as (code, reason), in the
    definition's order (empty when all is well). Answers to attributes the definition does not have, or
    that are information only (``variable`` false), are left out: the caller decides whether they are
    an error."""
    answers: dict[str, Answer] = {}
    problems: list[tuple[str, str]] = []
    for attribute in attributes:
        if not attribute.variable:
            continue
        given = submitted.get(attribute.code, [])
        if not given:
            if attribute.required:
                problems.append((attribute.code, f"is required ({attribute.description})"))
            continue
        if attribute.datatype != "multivaluelist" and len(given) > 1:
            problems.append((attribute.code, f"takes one value, not {len(given)}"))
            continue
        try:
            if attribute.datatype == "multivaluelist":
                answers[attribute.code] = list(dict.fromkeys(str(_one(attribute, v)) for v in given))
            else:
                answers[attribute.code] = _one(attribute, given[0])
        except ValueError as exc:
            problems.append((attribute.code, str(exc)))
    return answers, problems


def answer(
    attributes: list[Attribute], submitted: dict[str, list[str]]
) -> tuple[dict[str, Answer], list[str]]:
    """Open311's reading: the checked answers and every problem as ``attribute[CODE] reason``. Answers
    to attributes the definition does not have, or that are information only, are dropped: clients such
    as FixMyStreet send their own extra fields as attributes, some of them personal data."""
    answers, problems = checked(attributes, submitted)
    return answers, [f"attribute[{code}] {reason}" for code, reason in problems]


def as_submitted(value: Any) -> list[str]:
    """A JSON answer (text, number, or a list of them) as the texts Open311 would have sent; ValueError
    for anything else (true/false, objects, nested lists)."""
    items = value if isinstance(value, list) else [value]
    texts = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise ValueError("must be text, a number, or a list of them")
        texts.append(item if isinstance(item, str) else repr(item))
    return texts
