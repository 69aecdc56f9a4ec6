"""The executor: graphql-core's, completing the objects of a query through read plans
(hmis.schema.plans) where it can, and through graphql-core everywhere else.

graphql-core still parses, validates, runs the root fields (their arguments, errors and the
page-level work of their resolvers) and assembles the reply; a plan takes over below a root
field, where a page of 100 clients has thousands of fields. What a plan cannot do falls back
to graphql-core, counted in `STATS` (the bench prints it):

- at compile time (once per selection and variable values): mutations, introspection,
  abstract types, async resolvers, field extensions, directives other than @skip/@include;
- at run time: a resolver raising, a null in a non-null position, an awaitable, a value that
  is not a plain list; the value is then completed again by graphql-core, which gives the
  reference answer and errors, with what the plan had noted for the audit log undone.

`Settings.fast_reads` "check" (the test suite's setting) completes every planned value both
ways and records any difference in `MISMATCHES`, keeping graphql-core's answer.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, OrderedDict
from typing import Any

from graphql import FragmentSpreadNode, Node, OperationType, VariableNode
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from .plans import Compiler, GiveUp, PlanInfo, Unplannable

# What happened to each selection a request completed: "planned", or why not.
STATS: Counter[str] = Counter()
# "check" mode: (type, plan's answer, graphql-core's answer) for every difference found.
MISMATCHES: list[tuple[str, Any, Any]] = []
CACHE_SIZE = 512
_cache: OrderedDict[tuple, Any] = OrderedDict()  # see `_cached`
_lock = threading.Lock()


class PlanningExecutor(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = getattr(self.context_value, "settings", None)
        self.fast_mode = getattr(settings, "fast_reads", "off")
        manager = self.middleware_manager
        why = None
        if self.operation.operation is not OperationType.QUERY:
            why = "mutation"  # side effects: graphql-core's order, every field
        elif not self.error_propagation:
            why = "error propagation off"
        elif manager is not None and manager.middlewares:
            why = "resolve hook"  # an extension's hook must see every field
        if why is not None and self.fast_mode != "off":
            STATS["fallback: " + why] += 1
            self.fast_mode = "off"
        self._plans: dict[tuple, Any] = {}

    def complete_object_value(
        self, return_type, field_details_list, info, path, result, position_context
    ):
        if self.fast_mode == "off":
            return super().complete_object_value(
                return_type, field_details_list, info, path, result, position_context
            )
        plan = self._plan(return_type, field_details_list)
        if plan is None:
            return super().complete_object_value(
                return_type, field_details_list, info, path, result, position_context
            )
        run, has_resolvers = plan
        access_log = getattr(self.context_value, "access_log", None)
        before = _snapshot(access_log) if has_resolvers else None
        try:
            fast = run(result, PlanInfo(self.context_value))
        except Exception as error:  # graphql-core answers, with its errors
            STATS["fallback: " + _reason(error)] += 1
            if before is not None:
                _restore(access_log, before)
            # The other values of this selection in the request likely fail alike (the
            # `client` of each search match, its loader not filled): not tried again.
            self._plans[(return_type, id(field_details_list))] = (field_details_list, None)
            return super().complete_object_value(
                return_type, field_details_list, info, path, result, position_context
            )
        if self.fast_mode != "check":
            return fast
        noted = _snapshot(access_log)
        if before is not None:
            _restore(access_log, before)
        errors = len(self.collected_errors.errors)
        slow = super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )
        if self.is_awaitable(slow):

            async def compared():
                completed = await slow
                self._compare(return_type, fast, completed, errors, noted, access_log)
                return completed

            return compared()
        self._compare(return_type, fast, slow, errors, noted, access_log)
        return slow

    def _compare(self, return_type, fast, slow, errors, noted, access_log) -> None:
        same = (
            len(self.collected_errors.errors) == errors
            and json.dumps(fast, default=repr) == json.dumps(slow, default=repr)
            and noted == _snapshot(access_log)
        )
        if not same:
            MISMATCHES.append((return_type.name, fast, slow))

    def _plan(self, return_type, field_details_list):
        """The plan for this selection, or None; memoized for the request as graphql-core
        memoizes its field collection (on the identity of the list, kept alive)."""
        key = (return_type, id(field_details_list))
        found = self._plans.get(key)
        if found is None:
            plan = _cached(self, return_type, field_details_list)
            found = self._plans[key] = (field_details_list, plan)
        return found[1]


def _cached(executor, return_type, field_details_list):
    """A plan from the process-wide cache, compiled on a miss. Keyed by the AST nodes of the
    selection (held by the entry, so their ids are not reused) and the values of the
    variables it reads; None (counted) when it cannot be planned."""
    nodes = tuple(detail.node for detail in field_details_list)
    shape = (id(executor.schema), return_type.name, tuple(map(id, nodes)))
    with _lock:
        variables = _cache.get(shape)
    if variables is None:
        variables = (nodes, _variables_used(nodes, executor.fragments))
        _remember(shape, variables)
    coerced = executor.variable_values.coerced
    try:
        key = (shape, tuple((name, repr(coerced.get(name))) for name in variables[1]))
    except Exception:  # an input value without a stable repr: plan this request alone
        key = None
    with _lock:
        entry = _cache.get(key) if key is not None else None
        if entry is not None:
            _cache.move_to_end(key)
    if entry is None:
        compiler = Compiler(executor)
        try:
            entry = (nodes, (compiler.object_plan(return_type, field_details_list),
                             compiler.has_resolvers))  # fmt: skip
        except Unplannable as error:
            entry = (nodes, None, error.reason)
        except Exception as error:  # e.g. an argument graphql-core will report
            entry = (nodes, None, type(error).__name__)
        if key is not None:
            _remember(key, entry)
    plan = entry[1]
    STATS["planned" if plan is not None else "fallback: " + entry[2]] += 1
    return plan


def _remember(key, value) -> None:
    with _lock:
        _cache[key] = value
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _variables_used(nodes, fragments) -> tuple[str, ...]:
    """The names of the variables read anywhere below these field nodes."""
    found: set[str] = set()
    seen: set[str] = set()
    stack: list[Any] = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, VariableNode):
            found.add(node.name.value)
            continue
        if isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
            seen.add(node.name.value)
            details = fragments.get(node.name.value)
            if details is not None:
                stack.append(details.definition)
        for attribute in node.keys:
            value = getattr(node, attribute, None)
            if isinstance(value, Node):
                stack.append(value)
            elif isinstance(value, (list, tuple)):
                stack.extend(v for v in value if isinstance(v, Node))
    return tuple(sorted(found))


def _snapshot(access_log):
    if access_log is None:
        return None
    return (set(access_log.presented), dict(access_log.actions), len(access_log.aggregates))


def _restore(access_log, snapshot) -> None:
    presented, actions, aggregates = snapshot
    # In place: `Visibility` holds the set itself.
    access_log.presented.clear()
    access_log.presented.update(presented)
    access_log.actions.clear()
    access_log.actions.update(actions)
    del access_log.aggregates[aggregates:]


def _reason(error: Exception) -> str:
    return "give up" if isinstance(error, GiveUp) else "resolver raised"
