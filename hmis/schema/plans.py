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

import inspect
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import collect_subfields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Undefined
from strawberry.schema.schema_converter import convert_arguments

Complete = Callable[[Any], Any]
Run = Callable[[Any, "PlanInfo"], Any]
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
    types read nothing else; one that does makes the plan give up (never a wrong answer)."""

    __slots__ = ("context",)

    def __init__(self, context: Any):
        self.context = context

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
        fields = [
            (key, *self._field(return_type, details))
            for key, details in collected.grouped_field_set.items()
        ]
        return _object_runner(fields)

    def _field(self, parent: GraphQLObjectType, details) -> tuple[Callable, Complete]:
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
            type_name = parent.name
            return (lambda _source, _info: type_name), _identity
        if name.startswith("__"):
            raise Unplannable("introspection")
        field_def = self.schema.get_field(parent, name)
        if field_def is None:
            raise Unplannable("unknown field")
        definition = field_def.extensions.get("strawberry-definition")
        if definition is None:
            raise Unplannable("not a strawberry field")
        resolve = self._resolver(definition, field_def, first)
        return resolve, self._complete(field_def.type, details)

    def _resolver(self, field, field_def, first) -> Callable:
        if field.extensions:
            raise Unplannable("field extensions")
        if field.base_resolver is None:
            if self.config.default_resolver is not getattr:
                raise Unplannable("custom default resolver")
            python_name = field.python_name
            return lambda source, _info: getattr(source, python_name)
        resolver = field.base_resolver
        if resolver.is_async:
            raise Unplannable("async resolver")
        self.has_resolvers = True
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
        takes_self = resolver.self_parameter is not None
        sourced = [p.name for p in (resolver.parent_parameter, resolver.root_parameter) if p]
        info_name = resolver.info_parameter.name if resolver.info_parameter else None

        def resolve(source, info):
            kwargs = dict(arguments)
            for parameter in sourced:
                kwargs[parameter] = source
            if info_name is not None:
                kwargs[info_name] = info
            result = resolver(source, **kwargs) if takes_self else resolver(**kwargs)
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()  # graphql-core would await it: let it
                raise GiveUp("awaitable")
            return result

        return resolve

    def _complete(self, return_type: GraphQLOutputType, details) -> Complete:
        if is_non_null_type(return_type):
            return _non_null(self._complete(return_type.of_type, details))
        if is_list_type(return_type):
            return _list(self._complete(return_type.of_type, details))
        if is_leaf_type(return_type):
            return _leaf(return_type.coerce_output_value)
        if is_object_type(return_type):
            return _object(self.object_plan(return_type, details))
        raise Unplannable("abstract type")


def _identity(value, _info):
    return value


def _object_runner(fields: list[tuple[str, Callable, Complete]]) -> Run:
    def run(source, info):
        return {key: complete(resolve(source, info), info) for key, resolve, complete in fields}

    return run


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


def _leaf(coerce: Callable[[Any], Any]) -> Complete:
    def complete(value, _info):
        if value is None or value is Undefined:
            return None
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise GiveUp("leaf coerced to null")
        return coerced

    return complete


def _object(run: Run) -> Complete:
    def complete(value, info):
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            raise GiveUp("an exception as a value")
        return run(value, info)

    return complete
