"""Walks the settings models: tables, arrays of tables, scalar keys, secrets and units. Pure."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, BeforeValidator, SecretStr
from pydantic.fields import FieldInfo

from monitor.settings import Settings, parse_duration, parse_size

Loc = tuple[str | int, ...]
Unit = Literal["duration", "size"]


@dataclass(frozen=True)
class Nested:
    """A field holding a model: a table (`[fetch]`) or an array of tables (`[[feeds]]`)."""

    model: type[BaseModel]
    is_array: bool


def _unwrap_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def nested(annotation: Any) -> Nested | None:
    """The model held by a field annotation, or None for a scalar or a list of scalars."""
    annotation = _unwrap_optional(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return Nested(annotation, is_array=False)
    if typing.get_origin(annotation) in (tuple, list):
        args = typing.get_args(annotation)
        element = args[0] if args else None
        if isinstance(element, type) and issubclass(element, BaseModel):
            return Nested(element, is_array=True)
    return None


def is_list(annotation: Any) -> bool:
    """True for a tuple or list of scalars (an inline TOML array)."""
    annotation = _unwrap_optional(annotation)
    return typing.get_origin(annotation) in (tuple, list) and nested(annotation) is None


def is_secret(annotation: Any) -> bool:
    """True when the field holds a SecretStr (possibly optional)."""
    return _unwrap_optional(annotation) is SecretStr


def unit_of(field: FieldInfo) -> Unit | None:
    """'duration' or 'size' for fields typed `Duration` / `Size` (possibly optional).

    Pydantic moves the metadata of a plain `Annotated` field to `field.metadata`; inside an
    optional it stays on the annotation.
    """
    inner = _unwrap_optional(field.annotation)
    for meta in (*field.metadata, *getattr(inner, "__metadata__", ())):
        if isinstance(meta, BeforeValidator):
            if meta.func is parse_duration:
                return "duration"
            if meta.func is parse_size:
                return "size"
    return None


def model_at(loc: Loc, root: type[BaseModel] = Settings) -> type[BaseModel] | None:
    """The model whose fields live at `loc` (``('feeds', 3)`` -> FeedSettings), or None."""
    model = root
    index = 0
    while index < len(loc):
        part = loc[index]
        field = model.model_fields.get(part) if isinstance(part, str) else None
        inner = nested(field.annotation) if field is not None else None
        if inner is None:
            return None
        model = inner.model
        index += 1
        if inner.is_array:
            if index >= len(loc) or not isinstance(loc[index], int):
                return None
            index += 1
    return model


def annotation_at(loc: Loc, root: type[BaseModel] = Settings) -> Any:
    """The annotation of the field at `loc` (list indices after it ignored), or None."""
    while loc and isinstance(loc[-1], int):
        loc = loc[:-1]
    if not loc or not isinstance(loc[-1], str):
        return None
    parent = model_at(loc[:-1], root)
    field = parent.model_fields.get(loc[-1]) if parent is not None else None
    return field.annotation if field is not None else None


def table_scalars(
    model: type[BaseModel] = Settings, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, annotation) of every scalar or list-of-scalars field reachable through tables.

    Arrays of tables (feeds, entities, claims) are not entered: their elements have no names.
    """
    for name, field in model.model_fields.items():
        inner = nested(field.annotation)
        if inner is None:
            yield (*prefix, name), field.annotation
        elif not inner.is_array:
            yield from table_scalars(inner.model, (*prefix, name))


def dotted(loc: Loc) -> str:
    """``('feeds', 3, 'url')`` -> ``feeds[3].url``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
