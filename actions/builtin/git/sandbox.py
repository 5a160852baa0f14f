"""The Jinja2 sandbox skeletons render in, and the up-front scan of a template's source.

On top of `ImmutableSandboxedEnvironment` (no `_` attributes, no Python internals, no changes
to lists and dicts): undefined values fail (`StrictUndefined`); `lipsum`, `cycler` and
`joiner` are gone; no `include`/`import`/`extends`; `str.format` is refused (the `format`
filter is there); numbers given to calls and filters, string repetition, powers and `%`
formatting are capped so that no template can make a gigabyte out of a few characters.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import Context
from jinja2.sandbox import (
    UNSAFE_FUNCTION_ATTRIBUTES,
    UNSAFE_GENERATOR_ATTRIBUTES,
    UNSAFE_METHOD_ATTRIBUTES,
    ImmutableSandboxedEnvironment,
)
from jinja2.utils import Namespace

MAX_CALL_NUMBER = 10_000
"""Largest number a template may pass to a function (`range(10000)`)."""
MAX_FILTER_NUMBER = 1_000
"""Largest number a template may pass to a filter (`center(80)`, `indent(4)`)."""
SIZED_FILTERS = frozenset({"batch", "center", "indent", "round", "slice", "truncate", "wordwrap"})
"""Filters whose numbers are sizes (widths, counts), capped by `MAX_FILTER_NUMBER`."""
MAX_POWER_EXPONENT = 64
MAX_POWER_BITS = 4_096
REMOVED_GLOBALS = frozenset({"lipsum", "cycler", "joiner"})
UNSAFE_NAMES = REMOVED_GLOBALS | {"self", "__builtins__"}
UNSAFE_ATTRIBUTES = (
    UNSAFE_FUNCTION_ATTRIBUTES
    | UNSAFE_METHOD_ATTRIBUTES
    | UNSAFE_GENERATOR_ATTRIBUTES
    | {"format", "format_map", "mro", "gi_frame", "f_locals", "f_globals", "tb_frame"}
)
WIDE_FORMAT = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(?:\*|\d{4,}|\d*\.(?:\*|\d{4,}))")
"""A `%` conversion with `*` or a width or precision of 4 digits or more."""


def _check_numbers(args: tuple[Any, ...], kwargs: dict[str, Any], limit: int, what: str) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > limit:
            raise SecurityError(f"{what} takes numbers up to {limit}, not {value}")


def _capped_filter(fn: Callable[..., Any]) -> Callable[..., Any]:
    skip = 2 if getattr(fn, "jinja_pass_arg", None) else 1  # the context, the value

    @functools.wraps(fn)  # keeps jinja_pass_arg (pass_context & co)
    def capped(*args: Any, **kwargs: Any) -> Any:
        _check_numbers(args[skip:], kwargs, MAX_FILTER_NUMBER, "a filter")
        return fn(*args, **kwargs)

    return capped


def _check_format(template: Any) -> None:
    if isinstance(template, str) and WIDE_FORMAT.search(template):
        raise SecurityError("format widths and precisions have at most 3 digits")


def _format_filter(value: Any, *args: Any, **kwargs: Any) -> str:
    _check_format(value)
    return str(value) % (kwargs or args)


class SkeletonEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox one skeleton's files and paths render in; `max_bytes` caps one result."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, max_bytes: int) -> None:
        super().__init__(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
        self.max_bytes = max_bytes
        for name in REMOVED_GLOBALS:
            self.globals.pop(name, None)
        self.globals["namespace"] = Namespace
        self.filters["format"] = _format_filter
        for name in SIZED_FILTERS & self.filters.keys():
            self.filters[name] = _capped_filter(self.filters[name])

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        self.check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def check_binop(self, operator: str, left: Any, right: Any) -> None:
        """SecurityError for `*`, `**` or `%` that would make too much."""
        if operator == "*":
            self._check_repeat(left, right)
            self._check_repeat(right, left)
        elif operator == "**" and isinstance(right, int | float):
            bits = left.bit_length() if isinstance(left, int) else 64
            if abs(right) > MAX_POWER_EXPONENT or bits * abs(right) > MAX_POWER_BITS:
                raise SecurityError(f"powers are capped at {MAX_POWER_BITS} bits")
        elif operator == "%":
            _check_format(left)

    def _check_repeat(self, sequence: Any, times: Any) -> None:
        sized = isinstance(sequence, str | list | tuple) and isinstance(times, int)
        if sized and len(sequence) * times > self.max_bytes:
            raise SecurityError(f"a repetition longer than {self.max_bytes} is refused")

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if __obj is __self.globals["range"] or isinstance(
            getattr(__obj, "__self__", None), str | bytes | list | tuple
        ):
            _check_numbers(args, kwargs, MAX_CALL_NUMBER, "range() and string methods")
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if super().wrap_str_format(value) is None:
            return None

        def refused(*_args: Any, **_kwargs: Any) -> str:
            raise SecurityError("str.format is not available in templates; use |format")

        return refused


def template_problem(source: str, environment: SkeletonEnvironment) -> str | None:
    """Why a template's source is refused before it renders (None: nothing found): syntax
    errors, other templates pulled in, and names or attributes that reach for internals."""
    try:
        tree = environment.parse(source)
    except TemplateSyntaxError as exc:
        return f"template syntax error on line {exc.lineno}: {exc.message}"
    except RecursionError:  # brackets nested thousands deep
        return "the template is nested too deeply"
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        return f"templates must not {type(node).__name__.lower()} other templates"
    for name in tree.find_all(nodes.Name):
        if name.name in UNSAFE_NAMES or name.name.startswith("_"):
            return f"templates must not use {name.name!r}"
    for attr in tree.find_all(nodes.Getattr):
        if attr.attr.startswith("_") or attr.attr in UNSAFE_ATTRIBUTES:
            return f"templates must not use the attribute {attr.attr!r}"
    for item in tree.find_all(nodes.Getitem):
        key = item.arg.value if isinstance(item.arg, nodes.Const) else None
        if isinstance(key, str) and (key.startswith("_") or key in UNSAFE_ATTRIBUTES):
            return f"templates must not use the item {key!r}"
    return _constant_problem(tree, environment)


def _constant(node: nodes.Node, environment: SkeletonEnvironment) -> Any:
    """The value of a constant expression (`10**9`, `'x' * 3`), or None when not constant;
    SecurityError when computing it would break the sandbox's caps."""
    if isinstance(node, nodes.Mul | nodes.Pow | nodes.Mod):
        left, right = _constant(node.left, environment), _constant(node.right, environment)
        if left is None or right is None:
            return None
        environment.check_binop(node.operator, left, right)
        try:
            return environment.binop_table[node.operator](left, right)
        except Exception:
            return None
    try:
        return (
            node.as_const(nodes.EvalContext(environment)) if isinstance(node, nodes.Expr) else None
        )
    except Exception:  # jinja2 raises Impossible, or the operation's own error
        return None


def _constant_problem(tree: nodes.Template, environment: SkeletonEnvironment) -> str | None:
    """The caps the sandbox applies at render time, applied to constants in the source."""
    try:
        _check_constants(tree, environment)
    except SecurityError as exc:
        return str(exc)
    return None


def _check_constants(tree: nodes.Template, environment: SkeletonEnvironment) -> None:
    for binop in tree.find_all((nodes.Mul, nodes.Pow, nodes.Mod)):
        _constant(binop, environment)
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "range":
            args = tuple(_constant(arg, environment) for arg in call.args)
            _check_numbers(args, {}, MAX_CALL_NUMBER, "range()")
    for filter_ in tree.find_all(nodes.Filter):
        if filter_.name == "format" and filter_.node is not None:
            _check_format(_constant(filter_.node, environment))
