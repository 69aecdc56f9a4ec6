"""Operations generated from the schema: every root field, random selections, and arguments
drawn from random and edge-case values (empty, huge, negative, malformed, NUL, lone surrogate,
unknown IDs, over-long lists), plus hostile documents. Seeded: the same seed, the same run."""

from __future__ import annotations

import random
import uuid

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
)

EDGE = {
    "Int": [0, 1, -1, 20, 200, 201, 2**31 - 1, -(2**31), 2**31, 10**30],
    "Float": [0.0, -1.5, 1e308, 3.14],
    "String": ["", " ", "a", "Ada", "x" * 300, "x" * 20_000, "Ada\x00", "Ada\ud800", "名前 ✓",
               "'; DROP TABLE clients; --", "%_\\", "\n\t", "123456789", "a@b.org"],
    "Boolean": [True, False],
    "Date": ["2024-01-01", "1899-12-31", "9999-12-31", "0001-01-01", "2024-02-30", "x", ""],
    "DateTime": ["2024-01-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00",
                 "2024-01-01T00:00:00", "x"],
    "Decimal": ["10.00", "-5", "1e999", "NaN", "Infinity", "0.001", "x", "1" * 100],
    "ID": ["", "x", "1", "00000000-0000-0000-0000-000000000000"],
}  # fmt: skip
HOSTILE = [
    "{",
    "}}}",
    "{ __typename " * 50,
    "query { " + "a: __typename " * 40 + "}",
    "{" + "clients{edges{node{" * 6 + "id" + "}}}" * 6 + "}",
    "query Q { __typename } query Q { __typename }",
    "fragment F on Query { ...F } { ...F }",
    "{ ...Missing }",
    "subscription { __typename }",
    '{ client(id: "\\u0000") { id } }',
    "{ verifyAuditLog { ok } again: verifyAuditLog { ok } }",
]


class Fuzzer:
    def __init__(self, schema: GraphQLSchema, seed: int, ids: list[str]):
        self.schema = schema
        self.random = random.Random(seed)
        self.ids = ids  # IDs that exist, so some operations get past "not found"

    def operation(self) -> tuple[str, dict]:
        """A document and its variables."""
        r = self.random
        if r.random() < 0.05:
            return r.choice(HOSTILE), {}
        kind, root = r.choice([("query", self.schema.query_type)] * 3
                              + [("mutation", self.schema.mutation_type)])  # fmt: skip
        name, field = r.choice(sorted(root.fields.items()))
        definitions: list[str] = []
        variables: dict = {}
        selections = [self._field(name, field, definitions, variables, depth=0)]
        if r.random() < 0.2:  # a sibling that reads too
            other, other_field = r.choice(sorted(root.fields.items()))
            selections.append("b: " + self._field(other, other_field, definitions, variables, 0))
        head = f"({', '.join(definitions)})" if definitions else ""
        return f"{kind}{head} {{ {' '.join(selections)} }}", variables

    def _field(self, name: str, field, definitions: list, variables: dict, depth: int) -> str:
        r = self.random
        args = []
        for arg_name, arg in field.args.items():
            if isinstance(arg.type, GraphQLNonNull) or r.random() < 0.5:
                variable = f"v{len(definitions)}"
                definitions.append(f"${variable}: {arg.type}")
                variables[variable] = self.value(arg.type)
                args.append(f"{arg_name}: ${variable}")
        call = f"{name}({', '.join(args)})" if args else name
        inner = get_named_type(field.type)
        if is_leaf_type(inner):
            return call
        return f"{call} {{ {self._selection(inner, definitions, variables, depth + 1)} }}"

    def _selection(self, kind, definitions: list, variables: dict, depth: int) -> str:
        if not isinstance(kind, GraphQLObjectType) or depth > 5:
            return "__typename"
        fields = sorted(kind.fields.items())
        chosen = self.random.sample(fields, min(len(fields), self.random.randint(1, 4)))
        return " ".join(self._field(n, f, definitions, variables, depth) for n, f in chosen)

    def value(self, kind):
        r = self.random
        if isinstance(kind, GraphQLNonNull):
            return self.value(kind.of_type)
        if r.random() < 0.03:
            return None
        if isinstance(kind, GraphQLList):
            size = r.choice([0, 1, 2, 3, 101]) if r.random() < 0.1 else r.randint(0, 3)
            return [self.value(kind.of_type) for _ in range(size)]
        if isinstance(kind, GraphQLEnumType):
            return r.choice([*kind.values, "NOT_A_VALUE"]) if r.random() < 0.95 else 7
        if isinstance(kind, GraphQLInputObjectType):
            return {
                name: self.value(field.type)
                for name, field in kind.fields.items()
                if isinstance(field.type, GraphQLNonNull) or r.random() < 0.5
            }
        assert isinstance(kind, GraphQLScalarType)
        if kind.name == "ID" and self.ids and r.random() < 0.7:
            return r.choice(self.ids)
        if kind.name == "ID" and r.random() < 0.5:
            return str(uuid.UUID(int=r.getrandbits(128)))
        return r.choice(EDGE.get(kind.name, EDGE["String"]))
