"""LlamaIndex (llama-index-core 0.14.25): `FunctionTool.from_defaults(fn=...)`.

Without `description=` or a docstring, LlamaIndex describes the tool by its signature
(`"search(query: str) -> str"`) rather than refusing it. With a docstring it still puts the
signature first: the description is `f"{name}{inspect.signature(fn)}\n{fn.__doc__}".strip()`,
the run context and `self` left out of the signature.
"""

from __future__ import annotations

import ast

import libcst as cst

from agentsense.analyzers.detect.frameworks.base import (
    FrameworkProfile,
    Rendered,
    ToolFunction,
    code_of,
)
from agentsense.analyzers.detect.frameworks.schema import SchemaStyle, parameters_schema

CONTEXT_ANNOTATIONS = ("Context",)
# Annotations whose text `inspect.formatannotation` prints as written on every supported
# Python: builtin classes and their generic aliases. typing's (`Optional[X]`, `List[X]`)
# are printed by their repr, which Python 3.14 changed (`X | None`): not rendered.
_PRINTED_AS_WRITTEN = frozenset(
    {"str", "int", "float", "bool", "bytes", "None", "list", "dict", "tuple", "set", "frozenset"}
)
_UNKNOWN = object()


def _annotation_text(node: cst.BaseExpression) -> str | None:
    """How `inspect.signature` prints an evaluated annotation, or None when not certain."""
    if isinstance(node, cst.Name):
        return node.value if node.value in _PRINTED_AS_WRITTEN else None
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        left, right = _annotation_text(node.left), _annotation_text(node.right)
        return None if left is None or right is None else f"{left} | {right}"
    if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name):
        head = _annotation_text(node.value)
        parts = [
            _annotation_text(e.slice.value) if isinstance(e.slice, cst.Index) else None
            for e in node.slice
        ]
        if head is None or head == "None" or None in parts:
            return None
        return f"{head}[{', '.join(p for p in parts if p is not None)}]"
    return None


def _printed_annotation(annotation: cst.Annotation, postponed: bool) -> str | None:
    if postponed:
        # The compiler keeps the annotation's unparsed text; inspect prints its repr.
        try:
            return repr(ast.unparse(ast.parse(code_of(annotation.annotation), mode="eval")))
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return None
    return _annotation_text(annotation.annotation)


def _printed_default(node: cst.BaseExpression) -> str | None:
    try:
        value = ast.literal_eval(code_of(node))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return repr(value)
    return None


def _printed_param(param: cst.Param, star: str, postponed: bool) -> str | None:
    text = star + param.name.value
    if param.annotation is not None:
        annotation = _printed_annotation(param.annotation, postponed)
        if annotation is None:
            return None
        text += f": {annotation}"
    if param.default is not None:
        default = _printed_default(param.default)
        if default is None:
            return None
        text += f" = {default}" if param.annotation is not None else f"={default}"
    return text


def _is_context(param: cst.Param) -> bool:
    annotation = param.annotation
    if annotation is None:
        return False
    node = annotation.annotation
    head = node.value if isinstance(node, cst.Subscript) else node
    if isinstance(head, cst.Attribute):
        return head.attr.value in CONTEXT_ANNOTATIONS
    return isinstance(head, cst.Name) and head.value in CONTEXT_ANNOTATIONS


def signature_text(function: cst.FunctionDef, postponed: bool) -> str | None:
    """`str(inspect.signature(fn))` with the context and `self` removed, or None."""
    params = function.params
    parts: list[str | None] = []

    def keep(param: cst.Param) -> bool:
        return param.name.value != "self" and not _is_context(param)

    positional_only = [p for p in params.posonly_params if keep(p)]
    parts.extend(_printed_param(p, "", postponed) for p in positional_only)
    if positional_only:
        parts.append("/")
    parts.extend(_printed_param(p, "", postponed) for p in params.params if keep(p))
    star = params.star_arg
    keyword_only = [p for p in params.kwonly_params if keep(p)]
    if isinstance(star, cst.Param):
        parts.append(_printed_param(star, "*", postponed))
    elif keyword_only:
        parts.append("*")
    parts.extend(_printed_param(p, "", postponed) for p in keyword_only)
    if params.star_kwarg is not None:
        parts.append(_printed_param(params.star_kwarg, "**", postponed))
    if None in parts:
        return None
    text = f"({', '.join(p for p in parts if p is not None)})"
    if function.returns is not None:
        returned = _printed_annotation(function.returns, postponed)
        if returned is None:
            return None
        text += f" -> {returned}"
    return text


def function_view(tool: ToolFunction) -> Rendered:
    """The signature-prefixed description; the arguments schema as pydantic makes it."""
    function = tool.function
    parameters = parameters_schema(tool.name, function.name.value, tool.params, None, SchemaStyle())
    if tool.postponed_annotations is None and _has_annotations(function):
        return Rendered(None, parameters)
    signature = signature_text(function, bool(tool.postponed_annotations))
    if signature is None:
        return Rendered(None, parameters)
    doc = function.get_docstring(clean=False) or ""
    return Rendered(f"{tool.name}{signature}\n{doc}".strip(), parameters)


def _has_annotations(function: cst.FunctionDef) -> bool:
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    for extra in (params.star_arg, params.star_kwarg):
        if isinstance(extra, cst.Param):
            every.append(extra)
    return function.returns is not None or any(p.annotation is not None for p in every)


PROFILE = FrameworkProfile(
    name="llama-index",
    label="LlamaIndex",
    verified_with="llama-index-core 0.14.25",
    factory_calls=(
        "llama_index.core.tools.FunctionTool.from_defaults",
        "llama_index.core.tools.function_tool.FunctionTool.from_defaults",
    ),
    factory_function_keyword="fn",
    describes_by_signature=True,
    function_view=function_view,
    context_annotations=CONTEXT_ANNOTATIONS,
)
