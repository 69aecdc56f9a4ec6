"""Issue 15, point 6: seeding lives in `hmis.seed`, not in the data layer, and the request
context does not depend on the resolvers (the circle between `hmis.context` and
`hmis.resolvers.audit` is gone, not hidden behind imports inside functions)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

HMIS = Path(__file__).resolve().parents[1] / "hmis"


def test_seeding_is_its_own_package():
    assert not list((HMIS / "db").glob("seed*.py"))
    assert {p.stem for p in (HMIS / "seed").glob("*.py")} >= {"build", "people", "values", "data"}


def test_the_request_context_imports_no_resolver():
    probe = "import sys, hmis.context; print(sorted(m for m in sys.modules if 'resolvers' in m))"
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           check=True).stdout.strip()  # fmt: skip
    assert found == "[]"


def test_the_audit_resolver_imports_the_context_at_module_level():
    tree = ast.parse((HMIS / "resolvers" / "audit.py").read_text())
    top = {node.module for node in tree.body if isinstance(node, ast.ImportFrom)}
    assert "hmis.context" in top
    nested = [node for node in ast.walk(tree) if isinstance(node, ast.If)
              and "TYPE_CHECKING" in ast.dump(node.test)]  # fmt: skip
    assert nested == []
