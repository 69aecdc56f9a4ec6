"""Read plans: an object's selection set compiled once into plain Python that completes a
value the way graphql-core would, without its per-field machinery (resolve info, paths,
argument coercion and field collection for every field of every row).

A plan calls the very resolvers graphql-core calls (the same strawberry fields, the same
`Visibility` decisions and loaders) and serializes leaves with the schema's own scalars and
enums; it only drops the bookkeeping around them. It supports what a read of plain objects
needs and refuses anything else at compile time (`Unplannable`): the executor
(hmis.schema.executor) then completes the value with graphql-core. At run time a plan gives up
(`GiveUp`) on anything graphql-core would report as an error or treat asynchronously, and the
executor completes the value again with graphql-core, which gives the reference answer.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLID,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    is_enum_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import collect_subfields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Undefined
from strawberry.schema.schema_converter import convert_arguments

from hmis import codegen

Complete = Callable[[Any, Any], Any]
Run = Callable[[Any, "PlanInfo"], Any]
# How a plan reads a field: ("constant", value), ("attribute", name) or ("call", (function,
# takes the object as self, keyword arguments)).
Getter = tuple[str, Any]
# Field directives graphql-core's field collection evaluates itself.
COLLECTED_DIRECTIVES = frozenset({"skip", "include"})


class Unplannable(Exception):
    """The selection uses something plans do not support; `reason` is counted."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class GiveUp(Exception):
    """At run time: graphql-core must complete this value (an error, a null in a non-null
    position, an awaitable)."""


class PlanInfo:
    """What a plan hands resolvers as `info`: the request context. Resolvers of the planned
    types read nothing else; one that does makes the plan give up (never a wrong answer).
    It also keeps what pure plans completed during the run (`_once_per_run`)."""

    __slots__ = ("context", "completed")

    def __init__(self, context: Any):
        self.context = context
        self.completed: dict[tuple, tuple] = {}

    def __getattr__(self, name: str):
        raise GiveUp(f"a resolver read info.{name}")


class Compiler:
    """Compiles selections of one operation execution (schema, fragments, variables)."""

    def __init__(self, executor):
        self.executor = executor
        self.schema = executor.schema
        strawberry_schema = executor.schema._strawberry_schema
        self.config = strawberry_schema.config
        self.scalar_registry = strawberry_schema.schema_converter.scalar_registry
        self.has_resolvers = False
        self.resolvers = 0  # resolvers met so far (an object plan is pure without any)

    def object_plan(self, return_type: GraphQLObjectType, field_details_list) -> Run:
        """A function completing a value of `return_type` for these field nodes."""
        if return_type.name.startswith("__"):
            raise Unplannable("introspection")
        if return_type.is_type_of is not None:
            raise Unplannable("is_type_of")
        executor = self.executor
        collected = collect_subfields(
            executor.schema,
            executor.fragments,
            executor.variable_values,
            executor.operation,
            return_type,
            field_details_list,
            executor.hide_suggestions,
        )
        if collected.new_defer_usages or collected.forbidden_directive_instances:
            raise Unplannable("incremental delivery")
        resolvers = self.resolvers
        fields = [
            (key, *self._field(return_type, details))
            for key, details in collected.grouped_field_set.items()
        ]
        run = _generate(return_type.name, fields)
        # No resolver anywhere below: the completed value depends on the object alone.
        run.pure = self.resolvers == resolvers
        return run

    def _field(self, parent: GraphQLObjectType, details) -> tuple[Getter, GraphQLOutputType, Any]:
        """How to read the field (`Getter`), its type, and how to complete it."""
        first = details[0]
        node = first.node
        if first.fragment_variable_values is not None:
            raise Unplannable("fragment arguments")
        for detail in details:
            for directive in detail.node.directives or ():
                if directive.name.value not in COLLECTED_DIRECTIVES:
                    raise Unplannable(f"directive @{directive.name.value}")
        name = node.name.value
        if name == "__typename":
            return ("constant", parent.name), None, None
        if name.startswith("__"):
            raise Unplannable("introspection")
        field_def = self.schema.get_field(parent, name)
        if field_def is None:
            raise Unplannable("unknown field")
        definition = field_def.extensions.get("strawberry-definition")
        if definition is None:
            raise Unplannable("not a strawberry field")
        getter = self._getter(definition, field_def, first)
        return getter, field_def.type, self._complete(field_def.type, details)

    def _getter(self, field, field_def, first) -> Getter:
        if field.extensions:
            raise Unplannable("field extensions")
        if field.base_resolver is None:
            if self.config.default_resolver is not getattr:
                raise Unplannable("custom default resolver")
            if not field.python_name.isidentifier():
                raise Unplannable("attribute name")
            return ("attribute", field.python_name)
        resolver = field.base_resolver
        if resolver.is_async:
            raise Unplannable("async resolver")
        if not callable(resolver.wrapped_func):
            raise Unplannable("uncallable resolver")
        self.has_resolvers = True
        self.resolvers += 1
        raw = (
            get_argument_values(
                field_def,
                first.node,
                self.executor.variable_values,
                None,
                self.executor.hide_suggestions,
            )
            if field_def.args or first.node.arguments
            else {}
        )
        # Converted once: the same values for every row (strawberry converts them per call).
        arguments = convert_arguments(
            raw,
            field.arguments,
            scalar_registry=self.scalar_registry,
            config=self.config,
            info=None,
        )
        for parameter in (resolver.parent_parameter, resolver.root_parameter):
            if parameter is not None:
                arguments[parameter.name] = _SOURCE
        if resolver.info_parameter is not None:
            arguments[resolver.info_parameter.name] = _INFO
        return ("call", (resolver.wrapped_func, resolver.self_parameter is not None, arguments))

    def _complete(self, return_type: GraphQLOutputType, details) -> Complete:
        if is_non_null_type(return_type):
            return _non_null(self._complete(return_type.of_type, details))
        if is_list_type(return_type):
            return _list(self._complete(return_type.of_type, details))
        if is_leaf_type(return_type):
            return _leaf(return_type)
        if is_object_type(return_type):
            return _object(self.object_plan(return_type, details))
        raise Unplannable("abstract type")


# Markers in a resolver's arguments: the object resolved, and `info`.
_SOURCE, _INFO = object(), object()
# Classes of values known not to be awaitable (`_checked`).
_PLAIN: set[type] = {type(None), str, int, bool, list, dict}


def _checked(value):
    """A resolver's value; an awaitable makes the plan give up (graphql-core awaits it)."""
    kind = value.__class__
    if kind in _PLAIN:
        return value
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()  # never awaited here: graphql-core calls the resolver again
        raise GiveUp("awaitable")
    if not inspect.isgenerator(value):  # a generator may be awaitable, its class not
        _PLAIN.add(kind)
    return value


def _generate(type_name: str, fields: list[tuple[str, Getter, Any, Any]]) -> Run:
    """The plan of one object as a Python function, one straight line per field: what a
    loop over closures costs in calls (a page completes ten thousand fields) is gone.
    Only names and constants from the schema reach the source; values are bound."""
    env: dict[str, Any] = {"GiveUp": GiveUp, "Undefined": Undefined, "checked": _checked}
    body, keys = [], []
    for n, (key, (kind, how), field_type, complete) in enumerate(fields):
        out = f"v{n}"
        if kind == "constant":
            env[f"c{n}"] = how
            body.append(f"{out} = c{n}")
            keys.append((key, out))
            continue
        if kind == "attribute":
            body.append(f"{out} = source.{how}")
        else:
            function, takes_self, arguments = how
            env[f"f{n}"] = function
            parts = ["source"] if takes_self else []
            for name, value in arguments.items():
                if value is _SOURCE:
                    parts.append(f"{name}=source")
                elif value is _INFO:
                    parts.append(f"{name}=info")
                else:
                    bound = f"a{n}_{len(parts)}"
                    env[bound] = value
                    parts.append(f"{name}={bound}")
            body.append(f"{out} = checked(f{n}({', '.join(parts)}))")
        body.extend(_completion(n, out, field_type, complete, env))
        keys.append((key, out))
    # Response keys are GraphQL names (letters, digits, underscores): safe as literals.
    items = ", ".join(f"{key!r}: {out}" for key, out in keys)
    source = "def run(source, info):\n"
    source += "".join(f"    {line}\n" for line in body)
    source += f"    return {{{items}}}\n"
    return codegen.function(source, f"<read plan of {type_name}>", env)


def _completion(n: int, var: str, field_type, complete, env) -> list[str]:
    """Lines turning the resolved `var` into its completed value, in place."""
    required = is_non_null_type(field_type)
    inner = field_type.of_type if required else field_type
    env[f"complete{n}"] = complete
    if is_leaf_type(inner) and inner in (GraphQLString, GraphQLID):
        lines = [f"if {var}.__class__ is not str: {var} = complete{n}({var}, info)"]
        return lines  # `complete` raises on a null where it is required
    if is_object_type(inner) and not required:
        return [f"if {var} is not None: {var} = complete{n}({var}, info)"]
    return [f"{var} = complete{n}({var}, info)"]


def _non_null(inner: Complete) -> Complete:
    def complete(value, info):
        completed = inner(value, info)
        if completed is None:
            raise GiveUp("null in a non-null position")
        return completed

    return complete


def _list(inner: Complete) -> Complete:
    def complete(value, info):
        if value is None or value is Undefined:
            return None
        if type(value) not in (list, tuple):  # graphql-core decides about any other kind
            raise GiveUp("not a list")
        return [inner(item, info) for item in value]

    return complete


def _leaf(leaf_type) -> Complete:
    coerce = leaf_type.coerce_output_value
    # Shortcuts that return what `coerce` returns: a str is its own String or ID; an enum
    # member's name is looked up once (strawberry's enums scan their values on every call).
    strings = leaf_type in (GraphQLString, GraphQLID)
    names: dict[int, tuple[Any, Any]] | None = {} if is_enum_type(leaf_type) else None

    def complete(value, _info):
        if value is None or value is Undefined:
            return None
        if strings and type(value) is str:
            return value
        if names is not None:
            # By identity: members are singletons, and Enum.__hash__ is Python code.
            found = names.get(id(value))
            if found is not None and found[0] is value:
                return found[1]
            if isinstance(value, enum.Enum):
                coerced = coerce(value)
                names[id(value)] = (value, coerced)
                return coerced
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise GiveUp("leaf coerced to null")
        return coerced

    return complete


def _object(run: Run) -> Complete:
    if run.pure:
        run = _once_per_run(run)

    def complete(value, info):
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            raise GiveUp("an exception as a value")
        return run(value, info)

    return complete


def _once_per_run(run: Run) -> Run:
    """A pure plan completes each object once per run of the page's plan: the projects and
    organizations of a page's enrollments are a few objects met hundreds of times. The
    completed value is kept with the object (its id is not reused while kept) in the
    run's `PlanInfo`, which ends with the run. A plan whose objects are each met once (a
    client's identity) stops remembering after `MEMO_TRIAL` of them: it would only cost."""
    met = [0, 0]  # objects met, of which met again (over this plan's runs in the process)

    def remembered(value, info):
        if met[0] >= MEMO_TRIAL and not met[1]:
            return run(value, info)
        done = info.completed
        key = (run, id(value))
        found = done.get(key)
        met[0] += 1
        if found is not None and found[0] is value:
            met[1] += 1
            return found[1]
        completed = run(value, info)
        done[key] = (value, completed)
        return completed

    return remembered


MEMO_TRIAL = 500
