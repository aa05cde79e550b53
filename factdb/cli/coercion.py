"""Command-line values turned into Python values without importing pydantic.

typer 0.29 checks every parameter's value through a pydantic ``TypeAdapter``, built when the
command runs: importing pydantic and building the adapters is a third of what a whole
``factdb show`` process costs (docs/performance.md, start-up). Nearly every factdb parameter
is a plain ``str``, ``int``, ``bool`` (a flag left unset), a list of ``str`` or ``int``, or
one of an ``Enum``'s values, for which the value click hands over is converted by a line of
Python with the same result. ``install()`` gives
every parameter that fast path; any value it does not recognise as plainly valid (a mistyped
integer, a choice in the wrong case, anything else) goes to typer's own adapter, built then,
so that errors read exactly as typer writes them. ``tests/test_coercion.py`` checks both give
the same results on every parameter of the application.

This replaces one method of typer's parameters (``get_runtime_param``, which builds the
adapter the first time a value is read) and uses ``typer._coercion``: typer is pinned to one
version in requirements/constraints.txt, and the test fails if that changes under us.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, get_args, get_origin

from typer._click import Context
from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer.core import _TyperParameter

_INTEGER = re.compile(r"-?[0-9]{1,18}")
"""What ``int()`` and pydantic read alike (no sign ``+``, no ``_``, no spaces)."""


@dataclass(frozen=True)
class PlainParam(RuntimeParam):
    """A ``str``, ``int``, ``bool`` or ``Enum`` value, or a list of ``str`` or ``int``."""

    item: Any
    many: bool
    descriptor: TypeDescriptor

    def _one(self, value: Any) -> Any:
        """The value, or ``_OTHER`` when it is not plainly valid (a choice is plainly valid
        spelt exactly as its value, whether or not the choice ignores case)."""
        item = self.item
        if item is str or item is bool:
            return value if type(value) is item else _OTHER
        if item is int:
            if type(value) is str and _INTEGER.fullmatch(value):
                value = int(value)
            if type(value) is not int:
                return _OTHER
            low, high = self.parameter_info.min, self.parameter_info.max
            if (low is not None and value < low) or (high is not None and value > high):
                return _OTHER  # typer says what the bounds are
            return value
        if isinstance(value, item):
            return value
        if type(value) is str:
            member = item._value2member_map_.get(value)
            return member if member is not None else _OTHER
        return _OTHER

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        if self.many:
            if isinstance(value, (list, tuple)):
                items = [self._one(v) for v in value]
                if all(v is not _OTHER for v in items):
                    return items
        else:
            one = self._one(value)
            if one is not _OTHER:
                return one
        return typer_param(self.descriptor).coerce(value, param=param, ctx=ctx)


_OTHER = object()
_TYPER: dict[int, RuntimeParam] = {}


def typer_param(descriptor: TypeDescriptor) -> RuntimeParam:
    """typer's own coercion of a parameter (imports pydantic), built once."""
    key = id(descriptor)
    if key not in _TYPER:
        _TYPER[key] = build_runtime_param(descriptor)
    return _TYPER[key]


def _plain_item(annotation: Any) -> Any:
    if annotation in (str, int, bool):
        return annotation
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    return None


def fast(descriptor: TypeDescriptor) -> RuntimeParam | None:
    """The fast path for a parameter, when its type is one the fast path reads."""
    info = descriptor.parameter_info
    if (
        descriptor.is_file
        or descriptor.is_path
        or (descriptor.is_ranged and (info.clamp or descriptor.annotation is not int))
        or info.parser is not None
        or getattr(info, "click_type", None) is not None
    ):
        return None
    annotation: Any = descriptor.annotation
    many = get_origin(annotation) is list
    if many:
        (annotation,) = get_args(annotation) or (None,)
        if annotation not in (str, int):
            return None
    item = _plain_item(annotation)
    if item is None:
        return None
    return PlainParam(
        parameter_info=info,
        annotation=descriptor.annotation,
        item=item,
        many=many,
        descriptor=descriptor,
    )


def _runtime_param(self: _TyperParameter) -> RuntimeParam:
    if self._runtime_param is None:
        self._runtime_param = fast(self.type_descriptor) or typer_param(self.type_descriptor)
    return self._runtime_param


def install() -> None:
    """Every typer parameter (the help options typer makes on the fly too) reads its value
    through ``fast`` first. Done once, by the root command group."""
    _TyperParameter.get_runtime_param = _runtime_param  # type: ignore[method-assign]
