"""Discord's HTTP API as Discord publishes it (``specs/discord/openapi.json``), as checks on a
request the bot makes.

:class:`OpenApiSpec` is built from the spec file when first needed. A request must name a route
of the spec (method and path template, such as ``POST /channels/{channel_id}/messages``), with
path values its parameters accept, query parameters it lists, and a body its request schema
accepts (JSON, or multipart whose ``payload_json`` part is checked as the JSON body would be and
whose other parts are the files the schema names). Schemas are checked by ``jsonschema``
(OpenAPI 3.1 schemas are JSON Schema 2020-12: ``$ref``, ``oneOf``/``anyOf``/``allOf``,
``maxLength``, ``maxItems``, ``minimum``, ``enum`` …), with two readings of our own:

* an object that lists its properties takes no others (Discord's spec rarely says
  ``additionalProperties: false``, but a field it does not list is a field the bot should not
  send);
* the corrections in :data:`CORRECTIONS`, where the spec is not what Discord does.

A refusal is answered as Discord answers it: 400 with code 50035, "Invalid Form Body" and the
``errors`` tree (``{"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", …}]}}``); an
unknown route is 404 (405 for a known path with another method).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

__all__ = ["CORRECTIONS", "SPEC", "OpenApiSpec", "Route", "Verdict", "spec"]

SPEC = Path(__file__).parents[1] / "specs" / "discord" / "openapi.json"
BASE = "urn:discord-openapi"
SNOWFLAKE = {"type": "string", "pattern": "^(0|[1-9][0-9]*)$", "format": "snowflake"}
SCHEMAS = "/components/schemas"
FLAG = {"type": ["boolean", "null"]}
CORRECTIONS: tuple[tuple[str, str, Any, str], ...] = (
    (
        f"{SCHEMAS}/MessageCreateRequest/properties/content",
        "maxLength",
        2000,
        "a bot's message holds 2,000 characters; the spec's 4,000 is what Nitro users get",
    ),
    (
        f"{SCHEMAS}/MessageEditRequestPartial/properties/content",
        "maxLength",
        2000,
        "the same limit on an edit",
    ),
    (
        f"{SCHEMAS}/SnowflakeType",
        "",
        {"anyOf": [SNOWFLAKE, {"type": "integer", "minimum": 0}]},
        "Discord takes a snowflake as a JSON number too, and discord.py sends some that way"
        " (recipient_id when it opens a DM)",
    ),
    (
        f"{SCHEMAS}/ApplicationCommandUpdateRequest/properties",
        "nsfw",
        FLAG,
        "Discord's documentation lists nsfw (age-restricted) on the commands a bot registers, and"
        " discord.py 2.7 sends it with every command; the spec has it on the response only",
    ),
    (
        f"{SCHEMAS}/ApplicationCommandCreateRequest/properties",
        "nsfw",
        FLAG,
        "the same, for one command",
    ),
    (
        f"{SCHEMAS}/MessageEditRequestPartial/properties",
        "tts",
        FLAG,
        "discord.py 2.7 puts tts (false) in every message body it builds, edits included"
        " (http.handle_message_parameters); Discord ignores it on an edit",
    ),
    (
        f"{SCHEMAS}/IncomingWebhookUpdateRequestPartial/properties",
        "tts",
        FLAG,
        "the same, on an edit of an interaction's response or followup",
    ),
)
"""Where the published spec is not what Discord and discord.py do: (JSON pointer, key or "" for
the whole schema, the value we go by, why). Tightenings first, then what the spec leaves out."""


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    literals: int
    operation: Mapping[str, Any] = field(repr=False)
    parameters: tuple[Mapping[str, Any], ...] = field(repr=False)

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"


@dataclass(frozen=True)
class Verdict:
    """What Discord answers a request the spec does not allow."""

    status: int
    body: dict[str, Any]
    route: str


class OpenApiSpec:
    """Every route of one version of Discord's HTTP API."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = _corrected(document)
        self.version: str = self.document["info"]["version"]
        resource = DRAFT202012.create_resource(self.document)
        self._registry: Registry[Any] = Registry().with_resource(BASE, resource)
        self.routes = sorted(_routes(self.document), key=lambda r: -r.literals)

    def route(self, method: str, path: str) -> Route | Verdict:
        """The route ``path`` (under ``/api/v10``) and ``method`` call, or Discord's 404/405."""
        known = [r for r in self.routes if r.pattern.fullmatch(path)]
        for route in known:
            if route.method == method.upper():
                return route
        if known:
            name = f"{method.upper()} {known[0].template}"
            return Verdict(405, {"message": "405: Method Not Allowed", "code": 0}, name)
        return Verdict(404, {"message": "404: Not Found", "code": 0}, f"{method.upper()} {path}")

    def check(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        parts: list[str] | None = None,
    ) -> Verdict | None:
        """Discord's answer to a request the spec does not allow, or ``None``. ``body`` is the
        JSON body (a multipart request's ``payload_json``); ``parts`` the names of a multipart
        request's parts, ``None`` for JSON."""
        route = self.route(method, path)
        if isinstance(route, Verdict):
            return route
        tree: dict[str, Any] = {}
        self._path_values(route, path, tree)
        self._query(route, query or {}, tree)
        self._body(route, body, parts, tree)
        if not tree:
            return None
        answer = {"code": 50035, "message": "Invalid Form Body", "errors": tree}
        return Verdict(400, answer, route.name)

    # -- parts of a request ---------------------------------------------------------------------

    def _path_values(self, route: Route, path: str, tree: dict[str, Any]) -> None:
        match = route.pattern.fullmatch(path)
        assert match is not None
        for param in route.parameters:
            if param.get("in") == "path" and param["name"] in match.groupdict():
                value = match.group(param["name"])
                self._validate(param["schema"], value, [param["name"]], tree)

    def _query(self, route: Route, query: Mapping[str, str], tree: dict[str, Any]) -> None:
        listed = {p["name"]: p for p in route.parameters if p.get("in") == "query"}
        for name, raw in query.items():
            if name not in listed:
                _put(tree, [name], "UNKNOWN_FIELD", "This query parameter is not in the API.")
                continue
            schema = listed[name].get("schema", {})
            self._validate(schema, _query_value(raw, schema), [name], tree)

    def _body(self, route: Route, body: Any, parts: list[str] | None, tree: dict[str, Any]) -> None:
        request = route.operation.get("requestBody")
        if request is None:
            if body not in (None, {}, b"", ""):
                _put(tree, [], "UNKNOWN_FIELD", "This route takes no body.")
            return
        content = request.get("content", {})
        if parts is not None:
            multipart = content.get("multipart/form-data")
            if multipart is None:
                _put(tree, [], "CONTENT_TYPE_INVALID", "This route takes no files.")
                return
            allowed = {"payload_json", *_binary_properties(multipart["schema"], self.document)}
            for name in parts:
                if name not in allowed:
                    _put(tree, [name], "UNKNOWN_FIELD", "This part is not in the API.")
        if body is None:
            if request.get("required") and parts is None:
                _put(tree, [], "BASE_TYPE_REQUIRED", "This field is required")
            return
        self._validate(content["application/json"]["schema"], body, [], tree)

    # -- schemas --------------------------------------------------------------------------------

    def _validate(self, schema: Any, value: Any, at: list[str], tree: dict[str, Any]) -> None:
        """Check ``value`` against a schema of the spec (its ``#/…`` references are looked up
        in the whole document) and put what is wrong in ``tree`` under ``at``."""
        validator = self._validator(json.dumps(_absolute(schema), sort_keys=True))
        for error in validator.iter_errors(value):
            for path, code, message in _leaves(error):
                _put(tree, at + path, code, message)

    @functools.lru_cache(maxsize=256)  # noqa: B019 (one spec object for the whole run)
    def _validator(self, schema_json: str) -> Draft202012Validator:
        return Draft202012Validator(json.loads(schema_json), registry=self._registry)


def _corrected(document: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with objects closed to properties they do not list, and :data:`CORRECTIONS`."""
    fixed = copy.deepcopy(dict(document))

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(fixed["components"])
    close(fixed["paths"])
    for pointer, key, value, _why in CORRECTIONS:
        *parents, last = pointer.strip("/").split("/")
        node = fixed
        for name in parents:
            node = node[name]
        if key:
            node[last][key] = value
        else:
            node[last] = copy.deepcopy(value)
    return fixed


def _routes(document: Mapping[str, Any]) -> Iterator[Route]:
    for template, item in document["paths"].items():
        shared = tuple(item.get("parameters", ()))
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        pattern = re.compile(regex)
        literals = sum(1 for s in template.split("/") if s and not s.startswith("{"))
        for method, operation in item.items():
            if method == "parameters":
                continue
            own = tuple(operation.get("parameters", ()))
            yield Route(method.upper(), template, pattern, literals, operation, shared + own)


def _absolute(schema: Any) -> Any:
    """A copy of ``schema`` whose ``#/…`` references name the spec document."""
    if isinstance(schema, dict):
        return {
            k: BASE + v if k == "$ref" and v.startswith("#") else _absolute(v)
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_absolute(v) for v in schema]
    return schema


def _binary_properties(schema: Mapping[str, Any], document: Mapping[str, Any]) -> set[str]:
    """The file parts a multipart schema names (``files[0]`` … ``files[9]``)."""
    found: set[str] = set()
    for member in [schema, *schema.get("allOf", ()), *schema.get("anyOf", ())]:
        if "$ref" in member:
            member = _follow(member["$ref"], document)
        for name, prop in member.get("properties", {}).items():
            if prop.get("contentEncoding") == "binary":
                found.add(name)
    return found


def _follow(ref: str, document: Mapping[str, Any]) -> Mapping[str, Any]:
    node: Any = document
    for name in ref.removeprefix("#/").split("/"):
        node = node[name]
    result: Mapping[str, Any] = node
    return result


def _query_value(raw: str, schema: Mapping[str, Any]) -> Any:
    """A query string's value as the type its schema names (``true``, ``1`` → booleans …)."""
    kinds = schema.get("type", "string")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if "boolean" in kinds and raw.lower() in ("true", "false", "1", "0"):
        return raw.lower() in ("true", "1")
    if "integer" in kinds and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    return raw


# -- Discord's error tree -----------------------------------------------------------------------


def _leaves(error: ValidationError) -> Iterator[tuple[list[str], str, str]]:
    """``(path, code, message)`` for each thing Discord would name in its ``errors`` tree; a
    union's error is the error of the member the value was meant to be (its ``type`` says)."""
    path = [str(p) for p in error.absolute_path]
    kind, schema = error.validator, error.schema
    # An error jsonschema raises for a keyword names it and the schema object holding it; only
    # a ``false`` schema's own error has neither, and ``false`` stands here only as the value of
    # ``additionalProperties``, whose error is that keyword's.
    assert isinstance(kind, str) and isinstance(schema, Mapping), error
    limit: Any = error.validator_value  # the keyword's value: any JSON
    if kind in ("oneOf", "anyOf") and error.context:
        branch = _meant(error)
        if branch is not None:
            for sub in branch:
                yield from _leaves(sub)
            return
        kinds = sorted({str(v) for v in _kinds(error)})
        words = f'Value of field "type" must be one of ({", ".join(kinds)}).'
        if not kinds:
            words = "Value is none of the types it may be."
        yield path, "UNION_TYPE_CHOICES", words
    elif kind == "required":
        for name in limit:
            if isinstance(error.instance, dict) and name not in error.instance:
                yield [*path, name], "BASE_TYPE_REQUIRED", "This field is required"
    elif kind == "additionalProperties":
        listed = schema.get("properties", {})
        assert isinstance(error.instance, dict), "additionalProperties looks at objects only"
        for name in error.instance:
            if name not in listed:
                yield [*path, name], "UNKNOWN_FIELD", "This field is not in the API."
    elif kind in ("maxLength", "minLength", "maxItems", "minItems", "maxProperties"):
        low = schema.get("minLength", schema.get("minItems"))
        high = schema.get("maxLength", schema.get("maxItems", schema.get("maxProperties")))
        if low is not None and high is not None:
            yield path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length."
        elif kind.startswith("max"):
            yield path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
        else:
            yield path, "BASE_TYPE_MIN_LENGTH", f"Must be {limit} or more in length."
    elif kind in ("minimum", "maximum"):
        side = "greater" if kind == "minimum" else "less"
        code = "NUMBER_TYPE_MIN" if kind == "minimum" else "NUMBER_TYPE_MAX"
        yield path, code, f"int value should be {side} than or equal to {limit}."
    elif kind in ("enum", "const"):
        values = limit if kind == "enum" else [limit]
        yield path, "BASE_TYPE_CHOICES", f"Value must be one of {set(values)}."
    elif kind == "pattern" and schema.get("format") == "snowflake":
        yield path, "NUMBER_TYPE_COERCE", f'Value "{error.instance}" is not snowflake.'
    elif kind == "type":
        yield path, *_type_error(limit, error.instance)
    else:
        yield path, kind.upper(), error.message


def _meant(error: ValidationError) -> list[ValidationError] | None:
    """The errors of the one union member the value is of, or ``None`` if that is unclear."""
    depth = len(error.absolute_path)
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    def other_kind(sub: ValidationError) -> bool:
        sub_path = list(sub.absolute_path)
        if sub.validator == "type" and len(sub_path) == depth:
            return True  # the member is another JSON type (null, a string …)
        return (
            sub.validator in ("enum", "const")
            and len(sub_path) == depth + 1
            and sub_path[-1] == "type"
        )

    meant = [errors for errors in branches.values() if not any(map(other_kind, errors))]
    if not meant:
        return None
    return min(meant, key=len)


def _kinds(error: ValidationError) -> Iterator[Any]:
    """The ``type`` values a union's members take (from their failed ``enum``/``const``)."""
    for sub in error.context or []:
        if sub.validator in ("enum", "const") and list(sub.absolute_path)[-1:] == ["type"]:
            value: Any = sub.validator_value  # the keyword's value: a list for enum
            yield from value if sub.validator == "enum" else [value]


def _type_error(expected: Any, value: Any) -> tuple[str, str]:
    kinds = [expected] if isinstance(expected, str) else list(expected)
    kinds = [k for k in kinds if k != "null"] or kinds
    first = kinds[0]
    if first in ("integer", "number"):
        return "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.'
    if first == "string":
        return "BASE_TYPE_STRING", f'Could not interpret "{value}" as string.'
    if first == "boolean":
        return "BASE_TYPE_BOOLEAN", "Must be either true or false."
    if first == "array":
        return "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType."
    return "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType."


def _put(tree: dict[str, Any], path: list[str], code: str, message: str) -> None:
    node = tree
    for name in path:
        node = node.setdefault(name, {})
    entry = {"code": code, "message": message}
    errors = node.setdefault("_errors", [])
    if entry not in errors:
        errors.append(entry)


@functools.cache
def spec() -> OpenApiSpec:
    """Discord's API in ``specs/discord/openapi.json``, read once."""
    return OpenApiSpec(json.loads(SPEC.read_text(encoding="utf-8")))
