"""`GET /` points browsers and programs to /graphql and the docs; `/docs/NAME.md` serves the
integrator docs of the source tree."""

from __future__ import annotations

from importlib import metadata


async def test_a_browser_gets_a_page_pointing_to_graphql_and_the_docs(api):
    response = await api.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert 'href="/graphql"' in page and 'href="/docs/quick-start.md"' in page
    assert metadata.version("hmis") in page


async def test_a_program_gets_json_with_the_same_links(api):
    response = await api.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.json()
    assert body["graphql"] == "/graphql" and body["version"] == metadata.version("hmis")
    assert "/docs/errors.md" in body["docs"].values()
    # Every link it gives is served.
    for href in body["docs"].values():
        served = await api.get(href)
        assert served.status_code == 200 and served.headers["content-type"].startswith(
            "text/markdown"
        ), href


async def test_only_the_docs_pages_are_served(api):
    for path in ["/docs/nope.md", "/docs/..%2FREADME.md", "/docs/..%2Fpyproject.toml"]:
        response = await api.get(path)
        assert response.status_code == 404, path
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
