"""What a newcomer runs first: `make run PORT=`, `hmis --version`, progress while `hmis
migrate` and `hmis seed` work, and the refused client `make run` points to, whom a partner and
the organization serving them see differently (issue 14, point 7)."""

from __future__ import annotations

import re
import shlex
import subprocess
from importlib import metadata
from pathlib import Path

import httpx
from alembic.script import ScriptDirectory
from click.testing import CliRunner

from hmis.app import create_app
from hmis.auth.dev_example import refusal_example
from hmis.cli import main
from hmis.config import Settings
from hmis.db.migrate import alembic_config
from hmis.seed.build import unsafe_bulk_seed

from .support import gql

ROOT = Path(__file__).resolve().parents[1]


def make_dry_run(*args: str) -> str:
    """What `make ARGS` would run (`make -n`), without running it."""
    done = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True)  # fmt: skip
    return done.stdout


def test_make_run_takes_a_port_and_a_host():
    commands = make_dry_run("run", "PORT=8001", "HOST=0.0.0.0")
    serve = next(line for line in commands.splitlines() if "hmis serve" in line)
    assert "--port 8001" in serve and "--host 0.0.0.0" in serve
    default = next(line for line in make_dry_run("run").splitlines() if "hmis serve" in line)
    assert "--port 8000" in default and "--host 127.0.0.1" in default


def test_make_install_is_not_silent():
    recipe = re.search(r"^\$\(STAMP\):.*?(?=^\S)", (ROOT / "Makefile").read_text(), re.S | re.M)
    assert recipe and "pip install" in recipe.group(0)
    assert " -q" not in recipe.group(0) and "installing" in recipe.group(0)


def test_hmis_version_comes_from_the_package_metadata():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"hmis {metadata.version('hmis')}"


def test_migrate_names_each_revision_it_applies(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    result = CliRunner(env={"HMIS_DATABASE_URL": url}).invoke(main, ["migrate"])
    assert result.exit_code == 0, result.output
    revisions = [s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()]
    assert revisions
    for revision in revisions:
        assert f"applied {revision}: " in result.stderr, revision
    assert "newest schema" in result.stdout
    again = CliRunner(env={"HMIS_DATABASE_URL": url}).invoke(main, ["migrate"])
    assert "applied" not in again.stderr  # nothing left to apply, nothing claimed


def test_seed_reports_progress_on_stderr(engine, database_url):
    runner = CliRunner(env={"HMIS_DATABASE_URL": database_url})
    result = runner.invoke(main, ["seed", "--clients", "1200", "--seed", "3"])
    assert result.exit_code == 0, result.output
    steps = re.findall(r"seeded ([\d,]+) of 1,200 clients", result.stderr)
    assert len(steps) == 2 and steps[-1] == "1,200", result.stderr
    assert "seeded" not in result.stdout.splitlines()[-1]  # the summary stays on stdout


EXAMPLE = """query($id: ID!) { client(id: $id) {
  enrollments { totalCount edges { node { entryDate project { name } } } } } }"""


async def test_make_runs_seed_holds_a_refused_client_the_example_shows(engine, database_url,
                                                                     tmp_path):  # fmt: skip
    # The seed `make run` runs, with its arguments read from the Makefile.
    seed = next(line for line in make_dry_run("run").splitlines() if "hmis seed" in line)
    args = shlex.split(seed)
    clients, seed_value = (int(args[args.index(o) + 1]) for o in ("--clients", "--seed"))
    await unsafe_bulk_seed(engine, clients=clients, seed=seed_value)
    settings = Settings(database_url=database_url, env="development",
                        dev_key_dir=tmp_path / "dev-issuer")  # fmt: skip
    example = await refusal_example(settings)
    assert example is not None
    assert example.serving.organization.id != example.partner.organization.id
    app = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
            seen = {}
            for who in ("serving", "partner"):
                token = getattr(example, who).token
                status, body = await gql(api, EXAMPLE, {"id": str(example.client_id)}, token)
                assert status == 200 and "errors" not in body, body
                seen[who] = body["data"]["client"]["enrollments"]
    finally:
        await app.state.engine.dispose()
    # The organization that enrolled them since the refusal sees that stay; the partner sees
    # the record as it stood at the refusal.
    assert seen["serving"]["totalCount"] > seen["partner"]["totalCount"] >= 0
    assert str(example.client_id) in example.describe()
    # The README shows this very client and its counts.
    readme = (ROOT / "README.md").read_text()
    assert f"client id: {example.client_id}" in readme
    counts = {who: seen[who]["totalCount"] for who in seen}
    assert f"| serving (Riverbend) | {counts['serving']} |" in readme
    assert f"| partner (Maplewood) | {counts['partner']} |" in readme
