"""What one GraphQL document may ask, measured in one pass before any other validation.

Depth, aliases and cost are computed in time linear in the document: each fragment is walked
once and its measures are memoized, however often it is spread (walking each spread again made
a 0.9 KB document of fragments spreading the next one twice take minutes). The walk refuses
nesting past MAX_NESTING before Python's recursion limit could (a chain of 250 fragments).

Cost is an upper bound of the list items (rows) a query can return: each item of a page
counts 1 up to its `first` (given or default), each item of another list of objects
LIST_GUESS, times the same for every list above it.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    get_named_type,
    get_nullable_type,
    is_list_type,
    value_from_ast_untyped,
)

from .pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

MAX_QUERY_CHARS = 100_000
MAX_TOKENS = 3000
# Generous for real frontends (the deepest useful query is about 8 levels), tight for abuse.
MAX_DEPTH = 10
MAX_ALIASES = 30
# A page of 200 clients with every group (up to 50 enrollments each, by default) costs about
# 14,000; 200 clients × 200 enrollments 40,200, and twice that is refused.
MAX_COST = 50_000
# Selection sets and fragment spreads along one path (depth counts only fields).
MAX_NESTING = 40
# Objects assumed in a list without `first` (the access list has 10, organizations ~20).
LIST_GUESS = 20
# Root fields that may appear once per request (not multiplied by aliases).
ONCE_PER_REQUEST = frozenset({"verifyAuditLog"})


class TooComplex(GraphQLError):
    def __init__(self, message: str):
        super().__init__(message, extensions={"code": "QUERY_TOO_COMPLEX"})


@dataclass(frozen=True)
class Measure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0

    def __or__(self, other: Measure) -> Measure:
        """Two selections side by side."""
        return Measure(max(self.depth, other.depth), self.aliases + other.aliases,
                       self.cost + other.cost)  # fmt: skip


def check(schema: GraphQLSchema, document: DocumentNode, variables: dict | None) -> None:
    """Raise TooComplex when the document exceeds a limit; the message names it."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            defaults = {
                v.variable.name.value: value_from_ast_untyped(v.default_value)
                for v in definition.variable_definitions or ()
                if v.default_value is not None
            }
            walk = _Walk(schema, document, {**defaults, **(variables or {})})
            root = schema.get_root_type(definition.operation)
            found = walk.selections(definition.selection_set, root)
            if found.depth > MAX_DEPTH:
                raise TooComplex(f"The query has depth {found.depth}; at most {MAX_DEPTH}")
            if found.aliases > MAX_ALIASES:
                raise TooComplex(f"The query has {found.aliases} aliases; at most {MAX_ALIASES}")
            if found.cost > MAX_COST:
                raise TooComplex(
                    f"The query could return {found.cost} list items (its cost); at most "
                    f"{MAX_COST}: ask for smaller pages (`first`)"
                )
            for name in ONCE_PER_REQUEST:
                if len(walk.root_keys(definition.selection_set, name)) > 1:
                    raise TooComplex(f"`{name}` may be asked once per request")


class _Walk:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: dict):
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.memo: dict[str, Measure] = {}
        self.nesting = 0

    def selections(self, selection_set: SelectionSetNode, parent) -> Measure:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise TooComplex(f"The query nests selections and fragments more than "
                             f"{MAX_NESTING} deep")  # fmt: skip
        total = Measure()
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total |= self.field(node, parent)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                kind = self.schema.get_type(condition.name.value) if condition else parent
                total |= self.selections(node.selection_set, kind)
            elif isinstance(node, FragmentSpreadNode):
                total |= self.fragment(node.name.value)
        self.nesting -= 1
        return total

    def fragment(self, name: str) -> Measure:
        if name not in self.memo:
            self.memo[name] = Measure()  # a cycle counts as nothing; validation reports it
            definition = self.fragments.get(name)
            if definition is not None:
                kind = self.schema.get_type(definition.type_condition.name.value)
                self.memo[name] = self.selections(definition.selection_set, kind)
        return self.memo[name]

    def field(self, node: FieldNode, parent) -> Measure:
        aliases = 1 if node.alias else 0
        if node.selection_set is None:
            return Measure(depth=1, aliases=aliases)
        definition = getattr(parent, "fields", {}).get(node.name.value)
        inner = self.selections(node.selection_set, definition and get_named_type(definition.type))
        if node.name.value.startswith("__"):
            # Introspection (GraphiQL's query nests `ofType` 8 deep) has no depth, as with
            # strawberry's depth limiter; production refuses it in validation anyway.
            return Measure(0, aliases + inner.aliases, inner.cost)
        times = self.multiplier(node, definition, parent) if definition else 0
        # A single object costs what it holds; each item of a list or page counts one more.
        return Measure(1 + inner.depth, aliases + inner.aliases,
                       times * (1 + inner.cost) if times else inner.cost)  # fmt: skip

    def multiplier(self, node: FieldNode, definition, parent) -> int:
        """How many objects this field can hold: its `first` (or `input.first`), given or
        default; LIST_GUESS for another list of objects; 0 for a single object."""
        first = None
        for argument in node.arguments or ():
            value = value_from_ast_untyped(argument.value, self.variables)
            if value is Undefined:
                continue
            if argument.name.value == "first":
                first = value
            elif isinstance(value, dict) and "first" in value:
                first = value["first"]
        if first is None and "first" in definition.args:
            first = definition.args["first"].default_value
            first = DEFAULT_PAGE_SIZE if first in (None, Undefined) else first
        if isinstance(first, int) and not isinstance(first, bool):
            return min(max(first, 1), MAX_PAGE_SIZE)
        if first is not None:
            return MAX_PAGE_SIZE  # malformed: the resolver refuses it; count the most
        # A connection's edges are the items its `first` counted already.
        if parent.name.endswith("Connection") or not is_list_type(
            get_nullable_type(definition.type)
        ):
            return 0
        return LIST_GUESS

    def root_keys(self, selection_set: SelectionSetNode, name: str, seen=None) -> set[str]:
        """The response keys under which the root field `name` is asked."""
        seen = set() if seen is None else seen
        keys = set()
        for node in selection_set.selections:
            if isinstance(node, FieldNode) and node.name.value == name:
                keys.add(node.alias.value if node.alias else name)
            elif isinstance(node, InlineFragmentNode):
                keys |= self.root_keys(node.selection_set, name, seen)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in seen:
                seen.add(node.name.value)
                definition = self.fragments.get(node.name.value)
                if definition is not None:
                    keys |= self.root_keys(definition.selection_set, name, seen)
        return keys
