"""The docs cannot drift from the code: every link of README.md and docs/ names a file that
exists (never ../shared, which a clone does not have), every error code the code can return is
in docs/errors.md, and the Dockerfile copies what exists (issue 14, point 6)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from hmis import request_limits
from hmis.auth.errors import REASONS

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *DOCS]
LINK = re.compile(r"\]\(([^)\s]+)\)")
# Paths named in code spans: `docs/errors.md`, `hmis/auth/policy.py`, `tests/test_cors.py`.
NAMED = re.compile(r"`((?:docs|hmis|tests|bench|migrations)/[\w./-]+\.(?:md|py|graphql))`")
REQUIRED_DOCS = ["quick-start.md", "privacy-rules.md", "errors.md", "pagination-and-limits.md",
                 "identity-providers.md", "deployment.md"]  # fmt: skip


def _targets(page: Path) -> list[tuple[str, Path]]:
    text = page.read_text(encoding="utf-8")
    found = []
    for link in LINK.findall(text):
        if re.match(r"[a-z]+:", link) or link.startswith("#"):
            continue  # a web address or an anchor on the same page
        found.append((link, (page.parent / link.split("#")[0]).resolve()))
    found += [(named, ROOT / named) for named in NAMED.findall(text)]
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_resolves_to_a_file_in_the_repository(page):
    assert page.exists(), page
    text = page.read_text(encoding="utf-8")
    assert "../shared" not in text and "/work/" not in text
    missing = [link for link, target in _targets(page) if not target.exists()]
    assert missing == [], f"{page.name} links to missing files: {missing}"


def test_the_readme_links_every_doc():
    readme = ROOT / "README.md"
    linked = {target for _link, target in _targets(readme)}
    assert {p.resolve() for p in DOCS} - linked == set()
    for name in REQUIRED_DOCS:
        assert (ROOT / "docs" / name).exists(), name


def codes_in_code() -> set[str]:
    """Every `extensions.code` and `FieldError.code` the package can return, found in its
    source: `Check.fail(..., CODE)`, `_error(status, message, CODE)`, a class's `code = ...`,
    a `{"code": CODE}` literal, `.get("code", CODE)`, and the by-status `CODES` table."""
    found: set[str] = set()

    def constant(node) -> str | None:
        ok = isinstance(node, ast.Constant) and isinstance(node.value, str)
        return node.value if ok and re.fullmatch(r"[A-Z][A-Z_]+", node.value) else None

    for path in (ROOT / "hmis").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            candidates = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                # `check.fail(field, message, CODE)` and `SomethingRefused(field, message, CODE)`
                if name and (name == "fail" or name.endswith("Refused")) and node.args:
                    candidates.append(node.args[-1])
                if name == "_error" and len(node.args) >= 3:
                    candidates.append(node.args[2])
                if name == "get" and len(node.args) == 2 and constant(node.args[0]) is None:
                    first = node.args[0]
                    if isinstance(first, ast.Constant) and first.value == "code":
                        candidates.append(node.args[1])
                candidates += [k.value for k in node.keywords if k.arg == "code"]
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.Assign) and any(
                        getattr(t, "id", None) == "code" for t in item.targets
                    ):
                        candidates.append(item.value)
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "code":
                        candidates.append(value)
            found.update(c for c in map(constant, candidates) if c)
    found.update(request_limits.CODES.values())
    return found


def test_errors_md_lists_every_code_the_api_can_return():
    codes = codes_in_code()
    # The extractor finds what it should (a few of each kind), so this test can fail.
    assert {"FORBIDDEN", "STALE_VERSION", "QUERY_TOO_COMPLEX", "CORS_REJECTED", "TOO_LARGE",
            "PAYLOAD_TOO_LARGE", "UNAUTHENTICATED", "AUDIT_UNAVAILABLE",
            "SAME_CLIENT"} <= codes  # fmt: skip
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", (ROOT / "docs/errors.md").read_text(), re.M))
    assert sorted(codes - listed) == [], "codes missing from docs/errors.md"


def test_errors_md_lists_every_token_refusal_reason_and_status():
    text = (ROOT / "docs/errors.md").read_text()
    assert [r for r in REASONS if f"`{r}`" not in text] == []
    for status in [*request_limits.CODES, 401, 403, 422, 503]:
        assert re.search(rf"\b{status}\b", text), status
