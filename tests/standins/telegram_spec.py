"""The Bot API as Telegram publishes it (``specs/telegram/api.json``), as checks on a call.

:class:`BotApiSpec` is built from the spec file when first needed; nothing here is written per
method. A call must name a method of the spec; every parameter must be a field of that method;
every required field must be there (also "Required if inline_message_id is not specified");
each value must have one of the field's types: Integer, Float, Boolean, String, InputFile, an
``Array of …``, or an object type, whose own fields are checked the same way (``reply_markup``
→ ``InlineKeyboardMarkup`` → ``InlineKeyboardButton``; a type with subtypes, such as
``BotCommandScope``, takes any one of them). Limits come from the field descriptions:

* ``1-4096 characters`` / ``0-200 characters`` / ``up to 256 characters``: a text's length in
  UTF-16 code units, as Telegram counts; ``after entities parsing`` leaves out the whitespace
  Telegram trims (the bot sends plain text with no ``parse_mode``, so there is no markup to
  leave out as well);
* ``1-64 bytes``: UTF-8 bytes;
* ``between 1-100`` / ``1-100`` on a number; ``list of 1-100`` / ``up to 10 items`` on an array;
* ``must be one of "a", "b"`` and ``must be default`` (the discriminator of a subtype);
* ``Only characters A-Z, a-z, 0-9, _ and - are allowed`` and the like (:data:`CHARSETS`);
* a type's ``Exactly one of the fields other than text, … must be used``.

Parameters arrive as PTB sends them: form fields whose non-string values are JSON-encoded, or a
multipart body with files. A refusal is worded as Telegram words it where we know the wording
(:data:`KNOWN`), otherwise it says which field broke which rule.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SPEC", "BotApiSpec", "Rule", "spec"]

SPEC = Path(__file__).parent / "specs" / "telegram" / "api.json"
PRIMITIVES = frozenset({"Integer", "Float", "Boolean", "String", "InputFile"})
CHARSETS = {
    "A-Z, a-z, 0-9, _ and -": re.compile(r"[A-Za-z0-9_-]*"),
    "lowercase English letters, digits and underscores": re.compile(r"[a-z0-9_]*"),
}
"""How the spec words the characters a string may hold, and what that means."""
KNOWN = {
    ("sendmessage", "text", "short"): "message text is empty",
    ("sendmessage", "text", "missing"): "message text is empty",
    ("sendmessage", "text", "long"): "message is too long",
    ("editmessagetext", "text", "short"): "text must be non-empty",
    ("editmessagetext", "text", "long"): "MESSAGE_TOO_LONG",
    ("answercallbackquery", "text", "long"): "MESSAGE_TOO_LONG",
    ("*", "caption", "long"): "message caption is too long",
    ("*", "callback_data", "short"): "BUTTON_DATA_INVALID",
    ("*", "callback_data", "long"): "BUTTON_DATA_INVALID",
    ("*", "chat_id", "missing"): "chat_id is empty",
}
"""Telegram's own wording for refusals the bot can run into: (method or ``*``, field, rule)."""

FILE = object()
"""Stands for a parameter whose value came as a file part of the request."""
_LENGTH = re.compile(r"(\d+)-(\d+) (characters|bytes)", re.IGNORECASE)
_UP_TO = re.compile(r"up to (\d+) characters")
_BOUNDS = re.compile(r"(?<!ISO )\b(\d+)(?:-| and )(\d+)\b(?! for )")
_ITEMS_UP_TO = re.compile(r"up to (\d+) items")
_ONE_OF = re.compile(r"must be one of ((?:\"[^\"]+\"[^\"]*?)+)(?:\.|$)", re.IGNORECASE)
_MUST_BE = re.compile(r"must be ([a-z_]+)$")
_UNLESS = re.compile(
    r"[Rr]equired if (\w+(?: and \w+)*) (?:is|are) not specified|required if (\w+) isn't specified"
)
_EXACTLY_ONE = re.compile(r"Exactly one of the fields other than ([\w, ]+?),? must be used")


class Refused(Exception):
    """A value that breaks the spec: where (``reply_markup.inline_keyboard[0][0].text``),
    which rule (``unknown``, ``missing``, ``type``, ``short``, ``long``, ``range``, ``choice``,
    ``charset``, ``items``, ``exclusive``) and in words."""

    def __init__(
        self, path: str, rule: str, words: str, choices: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(words)
        self.path, self.rule, self.words, self.choices = path, rule, words, choices

    @property
    def other_kind(self) -> bool:
        """A subtype's ``type`` did not match: the value is meant to be another subtype."""
        return self.rule == "choice" and self.path.endswith(".type")

    @property
    def depth(self) -> int:
        return self.path.count(".") + self.path.count("[")


@dataclass(frozen=True)
class Rule:
    """One field of a method or a type, with the limits its description states."""

    name: str
    types: tuple[str, ...]
    required: bool
    unless: frozenset[str] = frozenset()
    length: tuple[int, int] | None = None
    in_bytes: bool = False
    trimmed: bool = False
    bounds: tuple[float, float] | None = None
    items: tuple[int, int] | None = None
    choices: frozenset[str] | None = None
    charset: re.Pattern[str] | None = None

    @classmethod
    def from_spec(cls, field: Mapping[str, Any]) -> Rule:
        text: str = field.get("description", "")
        types = tuple(field["types"])
        unless = _UNLESS.search(text)
        names = (unless.group(1) or unless.group(2)).split(" and ") if unless else []
        return cls(
            name=field["name"],
            types=types,
            required=bool(field.get("required")),
            unless=frozenset(names),
            **_string_limits(text, types),
            **_number_limits(text, types),
        )


def _string_limits(text: str, types: tuple[str, ...]) -> dict[str, Any]:
    if "String" not in types:
        return {}
    limits: dict[str, Any] = {}
    length, up_to = _LENGTH.search(text), _UP_TO.search(text)
    if length:
        limits["length"] = (int(length.group(1)), int(length.group(2)))
        limits["in_bytes"] = length.group(3).lower() == "bytes"
        limits["trimmed"] = "after entit" in text[length.end() : length.end() + 20]
    elif up_to:
        limits["length"] = (0, int(up_to.group(1)))
    one_of, must_be = _ONE_OF.search(text), _MUST_BE.search(text)
    if one_of:
        limits["choices"] = frozenset(re.findall(r"\"([^\"]+)\"", one_of.group(1)))
    elif must_be:
        limits["choices"] = frozenset({must_be.group(1)})
    for words, charset in CHARSETS.items():
        if words in text:
            limits["charset"] = charset
    return limits


def _number_limits(text: str, types: tuple[str, ...]) -> dict[str, Any]:
    if "0x" in text:  # "between 60 and 86400, or 0x7FFFFFFF": not one range
        return {}
    found = _BOUNDS.search(text)
    if types[0] in ("Integer", "Float") and found:
        return {"bounds": (float(found.group(1)), float(found.group(2)))}
    if types[0].startswith("Array of "):
        if found:
            return {"items": (int(found.group(1)), int(found.group(2)))}
        if up_to := _ITEMS_UP_TO.search(text):
            return {"items": (0, int(up_to.group(1)))}
    return {}


@dataclass(frozen=True)
class Shape:
    """A method's parameters or an object type's fields; or, for an abstract type, its
    subtypes (one of which a value must be)."""

    name: str
    fields: Mapping[str, Rule]
    subtypes: tuple[str, ...] = ()
    exactly_one_besides: frozenset[str] | None = None


def _shape(entry: Mapping[str, Any]) -> Shape:
    rules = {f["name"]: Rule.from_spec(f) for f in entry.get("fields", [])}
    exactly = _EXACTLY_ONE.search(" ".join(entry.get("description", [])))
    besides = None
    if exactly:
        besides = frozenset(n.strip() for n in re.split(r",| and ", exactly.group(1)) if n.strip())
    return Shape(entry["name"], rules, tuple(entry.get("subtypes", ())), besides)


class BotApiSpec:
    """Every method and type of one version of the Bot API."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.version: str = document["version"]
        self.methods = {name.lower(): _shape(m) for name, m in document["methods"].items()}
        self.types = {name: _shape(t) for name, t in document["types"].items()}

    def check(
        self, method: str, params: Mapping[str, Any], files: Mapping[str, Any] = {}
    ) -> tuple[int, str] | None:
        """``(status, description)`` of Telegram's answer to a call the spec does not allow,
        or ``None``. ``params`` are as they came: form values are strings."""
        shape = self.methods.get(method.lower())
        if shape is None:
            return 404, "Not Found"
        try:
            self._files(shape, params, files)
            posted = {name: FILE for name in files if name in shape.fields}
            self._fields({**params, **posted}, shape, "", top=True, files=files)
        except Refused as refused:
            leaf = re.sub(r"\[\d+\]", "", refused.path).rsplit(".", 1)[-1]
            words = KNOWN.get((method.lower(), leaf, refused.rule)) or KNOWN.get(
                ("*", leaf, refused.rule), refused.words
            )
            return 400, f"Bad Request: {words}"
        return None

    # -- the checks ----------------------------------------------------------------------------

    def _files(self, shape: Shape, params: Mapping[str, Any], files: Mapping[str, Any]) -> None:
        """A file goes in a field of type InputFile, or is named by an ``attach://`` value."""
        attached = json.dumps(dict(params), default=str)
        for name in files:
            rule = shape.fields.get(name)
            if rule is None and f"attach://{name}" not in attached:
                raise Refused(name, "unknown", f"{name} is not a parameter of {shape.name}")
            if rule is not None and "InputFile" not in rule.types:
                raise Refused(name, "type", f"{name} can't be a file")

    def _fields(
        self,
        obj: Mapping[str, Any],
        shape: Shape,
        prefix: str,
        *,
        top: bool,
        files: Mapping[str, Any],
    ) -> None:
        for key, value in obj.items():  # values first: a subtype's "type" tells it apart
            if key in shape.fields and value is not FILE:  # a file part is checked by _files
                self._value(value, shape.fields[key], prefix + key, top=top, files=files)
        for key in obj:
            if key not in shape.fields:
                kind = "parameter" if top else "field"
                words = f"{prefix}{key} is not a {kind} of {shape.name}"
                raise Refused(prefix + key, "unknown", words)
        for name, rule in shape.fields.items():
            wanted = rule.required or (rule.unless and not rule.unless & obj.keys())
            if wanted and name not in obj:
                raise Refused(prefix + name, "missing", f"{prefix}{name} is required")
        if shape.exactly_one_besides is not None:
            chosen = [k for k in obj if k not in shape.exactly_one_besides]
            if len(chosen) != 1:
                which = " and ".join(chosen) or "none"
                where = prefix.rstrip(".")
                words = f"{where} must use exactly one of its optional fields, not {which}"
                raise Refused(where, "exclusive", words)

    def _value(
        self, value: Any, rule: Rule, path: str, *, top: bool, files: Mapping[str, Any]
    ) -> None:
        """``value`` has one of the rule's types; else the most telling of the refusals."""
        refusals: list[Refused] = []
        for kind in rule.types:
            try:
                self._one(value, kind, rule, path, top=top, files=files)
                return
            except Refused as refused:
                refusals.append(refused)
        if all(r.other_kind for r in refusals) and len(refusals) > 1:
            kinds = ", ".join(sorted(frozenset().union(*(r.choices for r in refusals))))
            raise Refused(refusals[0].path, "choice", f"{refusals[0].path} must be one of: {kinds}")
        raise max(refusals, key=lambda r: (not r.other_kind, r.rule != "type", r.depth))

    def _one(
        self,
        value: Any,
        kind: str,
        rule: Rule | None,
        path: str,
        *,
        top: bool,
        files: Mapping[str, Any],
    ) -> None:
        if kind.startswith("Array of "):
            items = _decoded(value, list, path) if top else value
            if not isinstance(items, list):
                raise Refused(path, "type", f"{path} must be an Array")
            if rule is not None and rule.items is not None:
                low, high = rule.items
                if not low <= len(items) <= high:
                    raise Refused(path, "items", f"{path} must hold {low}-{high} items")
            for index, item in enumerate(items):
                self._one(item, kind[9:], None, f"{path}[{index}]", top=False, files=files)
        elif kind in PRIMITIVES:
            _primitive(value, kind, rule, path, top=top, files=files)
        else:
            obj = _decoded(value, dict, path) if top else value
            if not isinstance(obj, dict):
                raise Refused(path, "type", f"{path} must be a {kind} object")
            shape = self.types[kind]
            if shape.subtypes:
                union = Rule(rule.name if rule else path, shape.subtypes, required=True)
                self._value(obj, union, path, top=False, files=files)
            else:
                self._fields(obj, shape, path + ".", top=False, files=files)


def _decoded(value: Any, wanted: type, path: str) -> Any:
    """A form field's JSON-encoded value (PTB sends arrays and objects that way)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        kind = "array" if wanted is list else "object"
        raise Refused(path, "type", f"can't parse {path} JSON {kind}") from None


def _primitive(
    value: Any, kind: str, rule: Rule | None, path: str, *, top: bool, files: Mapping[str, Any]
) -> None:
    if kind == "InputFile":
        attached = isinstance(value, str) and value.startswith("attach://")
        if not attached or value[9:] not in files:
            raise Refused(path, "type", f"{path} must be a file posted with the request")
    elif kind == "String":
        if not isinstance(value, str):
            raise Refused(path, "type", f"{path} must be a String")
        if rule is not None:
            _text(value, rule, path)
    elif kind == "Boolean":
        if not (isinstance(value, bool) or (top and value in ("true", "false", "True", "False"))):
            raise Refused(path, "type", f"{path} must be a Boolean")
    else:
        number = _number(value, kind, top=top)
        if number is None:
            article = "an" if kind == "Integer" else "a"
            raise Refused(path, "type", f"{path} must be {article} {kind}")
        if rule is not None and rule.bounds is not None:
            low, high = rule.bounds
            if not low <= number <= high:
                raise Refused(path, "range", f"{path} must be between {low:g} and {high:g}")


def _number(value: Any, kind: str, *, top: bool) -> float | None:
    if isinstance(value, str) and top:
        pattern = r"-?\d+" if kind == "Integer" else r"-?\d+(\.\d+)?([eE][-+]?\d+)?"
        return float(value) if re.fullmatch(pattern, value.strip()) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if kind == "Integer" and not float(value).is_integer():
        return None
    return float(value)


def _text(value: str, rule: Rule, path: str) -> None:
    if rule.length is not None:
        low, high = rule.length
        counted = value.strip() if rule.trimmed else value
        size = len(counted.encode()) if rule.in_bytes else len(counted.encode("utf-16-le")) // 2
        unit = "bytes" if rule.in_bytes else "characters"
        if size < low:
            raise Refused(path, "short", f"{path} must be at least {low} {unit}")
        if size > high:
            raise Refused(path, "long", f"{path} must be at most {high} {unit}, not {size}")
    if rule.choices is not None and value not in rule.choices:
        allowed = ", ".join(sorted(rule.choices))
        raise Refused(path, "choice", f"{path} must be one of: {allowed}", rule.choices)
    if rule.charset is not None and not rule.charset.fullmatch(value):
        raise Refused(path, "charset", f"{path} holds characters it may not")


@functools.cache
def spec() -> BotApiSpec:
    """The Bot API in ``specs/telegram/api.json``, read once."""
    return BotApiSpec(json.loads(SPEC.read_text(encoding="utf-8")))
