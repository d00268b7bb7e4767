"""Offline checks of the GitHub Actions workflows in .github/workflows.

Nothing here touches the network: check-jsonschema validates against the
GitHub-workflow schema it vendors (--builtin-schema), and zizmor runs with
--offline. The structural tests read the YAML and the raw text.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
TESTS_WORKFLOW = WORKFLOWS / "tests.yml"
BOOK_WORKFLOW = WORKFLOWS / "book.yml"
README = REPO / "README.md"

# The README's test command; the tests workflow must run exactly this.
TEST_COMMAND = "python -m pip install -r requirements.txt && python -m pytest"
BOOK_BUILD = "jupyter-book build book -W -n --keep-going"
CACHE_KEY_FILES = "hashFiles('book/**', 'code/**', 'requirements.txt')"

SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:/[^@\s]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^#\s*v\d+\.\d+\.\d+\s*$")
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>[^\s#]+)\s*(?P<comment>#.*)?$")
TOOL_TIMEOUT = 120


def _workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def _load_yaml(path: Path) -> dict:
    try:
        import yaml
    except ImportError:  # PyYAML is optional; ruamel.yaml is the fallback.
        from ruamel.yaml import YAML

        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    else:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: top level is not a mapping"
    return data


def _triggers(workflow: dict) -> dict:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True.
    triggers = workflow.get("on", workflow.get(True))
    assert triggers is not None, "workflow has no `on:` triggers"
    if isinstance(triggers, str):
        return {triggers: None}
    if isinstance(triggers, list):
        return {name: None for name in triggers}
    return triggers


def _steps(job: dict) -> list[dict]:
    return job.get("steps") or []


def _uses_steps(job: dict, action: str) -> list[dict]:
    return [s for s in _steps(job) if str(s.get("uses", "")).split("@")[0] == action]


def _one_step(job: dict, action: str, where: str) -> dict:
    found = _uses_steps(job, action)
    assert len(found) == 1, f"{where}: expected one {action} step, found {len(found)}"
    return found[0]


def _run_scripts(job: dict) -> list[str]:
    return [s["run"] for s in _steps(job) if "run" in s]


def _norm(expression: str) -> str:
    return re.sub(r"\s+", " ", str(expression)).strip()


@pytest.fixture(scope="module")
def tests_wf() -> dict:
    assert TESTS_WORKFLOW.is_file(), f"missing {TESTS_WORKFLOW.relative_to(REPO)}"
    return _load_yaml(TESTS_WORKFLOW)


@pytest.fixture(scope="module")
def book_wf() -> dict:
    assert BOOK_WORKFLOW.is_file(), f"missing {BOOK_WORKFLOW.relative_to(REPO)}"
    return _load_yaml(BOOK_WORKFLOW)


def _tool(name: str) -> str:
    """The console script `name`, next to this interpreter or on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    pytest.fail(
        f"`{name}` is not installed (looked next to {sys.executable} and on PATH); "
        f"install it with `python -m pip install {name}`"
    )


def _run_tool(argv: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    # zizmor would use a token for online audits; --offline disables those,
    # and dropping the variables keeps the run identical everywhere.
    for var in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN"):
        env.pop(var, None)
    return subprocess.run(
        argv,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=False,
    )


def _report(proc: subprocess.CompletedProcess) -> str:
    return (
        f"$ {' '.join(proc.args)}\nexit status {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}"
    )


# --- external validators -----------------------------------------------------


def test_the_expected_workflows_exist():
    names = [p.name for p in _workflow_files()]
    assert "tests.yml" in names and "book.yml" in names, names


@pytest.mark.parametrize("name", ["tests.yml", "book.yml"])
def test_workflow_matches_github_schema(name):
    path = WORKFLOWS / name
    assert path.is_file(), f"missing {path.relative_to(REPO)}"
    try:
        import check_jsonschema  # noqa: F401

        argv = [sys.executable, "-m", "check_jsonschema"]
    except ImportError:
        argv = [_tool("check-jsonschema")]
    proc = _run_tool([*argv, "--builtin-schema", "vendor.github-workflows", str(path)])
    status = proc.returncode
    assert status == 0, _report(proc)


def test_zizmor_offline_has_no_findings():
    proc = _run_tool(
        [_tool("zizmor"), "--offline", "--no-progress", "--format", "plain", str(WORKFLOWS)]
    )
    status = proc.returncode
    assert status == 0, _report(proc)


# --- action pins -------------------------------------------------------------


@pytest.mark.parametrize("name", ["tests.yml", "book.yml"])
def test_every_action_is_pinned_to_a_commit_with_a_version_comment(name):
    path = WORKFLOWS / name
    lines = path.read_text(encoding="utf-8").splitlines()
    bad = []
    seen = 0
    for number, line in enumerate(lines, start=1):
        if not re.match(r"^\s*(?:-\s+)?uses:", line):
            continue
        seen += 1
        match = USES_LINE.match(line)
        ref = match["ref"].strip("'\"") if match else ""
        comment = (match["comment"] or "") if match else ""
        if ref.startswith("./"):
            continue  # a local action is pinned by the checkout itself
        if not SHA_PIN.match(ref) or not VERSION_COMMENT.match(comment.strip()):
            bad.append(f"{name}:{number}: {line.strip()}")
    # Every `uses:` the YAML holds must have been on a line of its own above.
    data = _load_yaml(path)
    in_yaml = [
        holder["uses"]
        for job in data.get("jobs", {}).values()
        for holder in [job, *_steps(job)]
        if "uses" in holder
    ]
    assert seen == len(in_yaml), (
        f"{name}: {len(in_yaml)} `uses:` in the YAML but {seen} `uses:` lines; "
        "write each as `uses: owner/repo@<40-hex sha> # vX.Y.Z` on its own line"
    )
    assert not bad, (
        "pin every action to a full 40-hex commit SHA followed by its release, "
        "e.g. `uses: actions/checkout@<sha> # v5.0.0`:\n" + "\n".join(bad)
    )


def test_an_action_is_pinned_to_the_same_commit_everywhere():
    pins: dict[str, set[str]] = {}
    for path in _workflow_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = USES_LINE.match(line)
            if match and "@" in match["ref"]:
                action, _, sha = match["ref"].partition("@")
                repo = "/".join(action.split("/")[:2])
                pins.setdefault(repo, set()).add(f"{sha} {(match['comment'] or '').strip()}")
    mixed = {repo: sorted(refs) for repo, refs in pins.items() if len(refs) > 1}
    assert not mixed, f"actions pinned to different commits/versions: {mixed}"


@pytest.mark.parametrize("name", ["tests.yml", "book.yml"])
def test_checkouts_do_not_persist_credentials(name):
    data = _load_yaml(WORKFLOWS / name)
    for job_id, job in data["jobs"].items():
        for step in _uses_steps(job, "actions/checkout"):
            assert (step.get("with") or {}).get("persist-credentials") is False, (
                f"{name}: job {job_id}: actions/checkout needs `persist-credentials: false`"
            )


@pytest.mark.parametrize("name", ["tests.yml", "book.yml"])
def test_run_scripts_expand_no_templates(name):
    data = _load_yaml(WORKFLOWS / name)
    offending = [
        f"job {job_id}: {script.strip()[:80]!r}"
        for job_id, job in data["jobs"].items()
        for script in _run_scripts(job)
        if "${{" in script
    ]
    assert not offending, (
        f"{name}: pass values to `run:` scripts through `env:`, not ${{{{ }}}}: {offending}"
    )


# --- permissions -------------------------------------------------------------


@pytest.mark.parametrize("name", ["tests.yml", "book.yml"])
def test_top_level_permissions_are_minimal(name):
    data = _load_yaml(WORKFLOWS / name)
    assert "permissions" in data, f"{name}: set top-level `permissions: {{}}`"
    assert data["permissions"] in ({}, {"contents": "read"}), (
        f"{name}: top-level permissions must be {{}} or contents: read, "
        f"not {data['permissions']!r}"
    )


def test_every_job_declares_its_permissions(tests_wf, book_wf):
    for name, data in (("tests.yml", tests_wf), ("book.yml", book_wf)):
        for job_id, job in data["jobs"].items():
            perms = job.get("permissions")
            assert isinstance(perms, dict), (
                f"{name}: job {job_id} must list its permissions explicitly, "
                f"not {perms!r}"
            )


def test_only_the_deploy_job_may_write_pages_or_mint_oidc_tokens(tests_wf, book_wf):
    holders = []
    for name, data in (("tests.yml", tests_wf), ("book.yml", book_wf)):
        for scope, perms in [("<top level>", data.get("permissions"))] + [
            (job_id, job.get("permissions")) for job_id, job in data["jobs"].items()
        ]:
            if perms in ("write-all", "read-all"):
                holders.append((name, scope, perms))
            elif isinstance(perms, dict) and (
                perms.get("pages") == "write" or perms.get("id-token") == "write"
            ):
                holders.append((name, scope, "pages/id-token write"))
    assert holders == [("book.yml", "deploy", "pages/id-token write")], holders
    assert book_wf["jobs"]["deploy"]["permissions"] == {
        "pages": "write",
        "id-token": "write",
    }, "the deploy job needs `pages: write` and `id-token: write`, and nothing else"


def test_build_and_test_jobs_only_read_contents(tests_wf, book_wf):
    assert book_wf["jobs"]["build"]["permissions"] == {"contents": "read"}
    for job_id, job in tests_wf["jobs"].items():
        assert job["permissions"] == {"contents": "read"}, f"tests.yml: job {job_id}"


# --- tests.yml -----------------------------------------------------------------


def test_tests_workflow_runs_on_every_push_and_pull_request(tests_wf):
    assert tests_wf.get("name") == "tests"
    triggers = _triggers(tests_wf)
    assert set(triggers) == {"push", "pull_request"}, triggers
    for event in ("push", "pull_request"):
        filters = triggers[event] or {}
        assert not set(filters) & {"branches", "branches-ignore", "paths", "paths-ignore"}, (
            f"tests.yml: `{event}` must not be filtered: {filters}"
        )
    concurrency = tests_wf.get("concurrency") or {}
    assert concurrency.get("cancel-in-progress") is True, concurrency
    assert "github.ref" in str(concurrency.get("group")), concurrency


def _tests_job(tests_wf) -> dict:
    jobs = tests_wf["jobs"]
    assert len(jobs) == 1, f"tests.yml: expected one job, found {list(jobs)}"
    return next(iter(jobs.values()))


def test_tests_job_runs_the_test_command_on_ubuntu_24_04(tests_wf):
    job = _tests_job(tests_wf)
    assert job["runs-on"] == "ubuntu-24.04"
    scripts = [script.strip() for script in _run_scripts(job)]
    assert TEST_COMMAND in scripts, (
        f"tests.yml must run the README's test command as a step of its own:\n"
        f"  {TEST_COMMAND}\nits run steps are: {scripts}"
    )
    python = _one_step(job, "actions/setup-python", "tests.yml")
    assert str(python["with"]["python-version"]) == "3.11"
    assert python["with"].get("cache") == "pip"
    assert python["with"].get("cache-dependency-path") == "requirements.txt"


def test_readme_documents_the_same_test_command():
    if not README.is_file():
        pytest.skip("README.md does not exist yet; nothing to compare the test command with")
    readme = README.read_text(encoding="utf-8")
    assert TEST_COMMAND in readme, (
        f"README.md no longer contains the test command `{TEST_COMMAND}`; "
        "update .github/workflows/tests.yml and this test together with it"
    )


def test_tests_job_gets_a_browser(tests_wf):
    job = _tests_job(tests_wf)
    scripts = "\n".join(_run_scripts(job))
    env = {**(tests_wf.get("env") or {}), **(job.get("env") or {})}
    installs = re.search(r"apt-get install -y\b.*\bchromium\b", scripts)
    points = "MOBILENETS_CHROMIUM" in env or "MOBILENETS_CHROMIUM=" in scripts
    assert installs or points, (
        "tests.yml must install chromium or set MOBILENETS_CHROMIUM for the browser tests"
    )


def test_tests_job_caches_execution_and_uploads_the_site(tests_wf):
    job = _tests_job(tests_wf)
    cache = _one_step(job, "actions/cache", "tests.yml")["with"]
    assert cache["path"] == "_build/.jupyter_cache"
    assert CACHE_KEY_FILES in _norm(cache["key"]).replace(" ,", ","), cache["key"]

    upload = _one_step(job, "actions/upload-artifact", "tests.yml")
    assert upload["with"]["name"] == "site"
    assert upload["with"]["path"] == "_build/html"
    assert upload["with"].get("if-no-files-found") == "warn"

    steps = _steps(job)
    test_step = next(i for i, s in enumerate(steps) if str(s.get("run", "")).strip() == TEST_COMMAND)
    assert steps.index(upload) > test_step, "upload the site after running the tests"


# --- book.yml ------------------------------------------------------------------


def test_book_workflow_triggers_and_concurrency(book_wf):
    assert book_wf.get("name") == "book"
    triggers = _triggers(book_wf)
    assert set(triggers) == {"push", "workflow_dispatch"}, triggers
    assert (triggers["push"] or {}).get("branches") == ["main"], triggers["push"]
    assert book_wf.get("concurrency") == {"group": "pages", "cancel-in-progress": False}


def test_book_build_runs_on_the_configured_runner_with_a_fallback(book_wf):
    build = book_wf["jobs"]["build"]
    runs_on = _norm(build["runs-on"])
    match = re.fullmatch(r"\$\{\{ ?vars\.BOOK_RUNNER \|\| '([^']+)' ?\}\}", runs_on)
    assert match, f"build.runs-on must be `${{{{ vars.BOOK_RUNNER || '<label>' }}}}`, got {runs_on!r}"
    assert match[1] == "ubuntu-24.04", f"fallback runner is {match[1]!r}"

    profile = _norm((build.get("env") or {}).get("MOBILENETS_PROFILE", ""))
    assert re.fullmatch(
        r"\$\{\{ ?vars\.BOOK_RUNNER && 'gpu' \|\| 'cpu' ?\}\}", profile
    ), f"MOBILENETS_PROFILE must be gpu only when vars.BOOK_RUNNER is set, got {profile!r}"


def test_book_build_steps(book_wf):
    build = book_wf["jobs"]["build"]
    python = _one_step(build, "actions/setup-python", "book.yml build")
    assert str(python["with"]["python-version"]) == "3.11"

    cache = _one_step(build, "actions/cache", "book.yml build")["with"]
    assert cache["path"] == "_build/.jupyter_cache"
    key = _norm(cache["key"])
    assert CACHE_KEY_FILES in key, key
    assert "MOBILENETS_PROFILE" in key, "a cpu cache must not be restored into a gpu build"

    scripts = [_norm(s) for s in _run_scripts(build)]
    assert "python -m pip install -r requirements.txt" in scripts, scripts
    assert any(s.startswith(BOOK_BUILD) for s in scripts), (
        f"book.yml must build with `{BOOK_BUILD}`: {scripts}"
    )
    upload = _one_step(build, "actions/upload-pages-artifact", "book.yml build")
    assert upload["with"]["path"] == "_build/html"


def test_book_deploy_job(book_wf):
    deploy = book_wf["jobs"]["deploy"]
    assert deploy.get("needs") in ("build", ["build"])
    env = deploy.get("environment") or {}
    assert env.get("name") == "github-pages", env
    assert _norm(env.get("url")) in (
        "${{ steps.deployment.outputs.page_url }}",
        "${{steps.deployment.outputs.page_url}}",
    ), env
    step = _one_step(deploy, "actions/deploy-pages", "book.yml deploy")
    assert step.get("id") == "deployment"
    pages_steps = _uses_steps(deploy, "actions/configure-pages") + _uses_steps(
        book_wf["jobs"]["build"], "actions/configure-pages"
    )
    assert len(pages_steps) == 1, "book.yml must run actions/configure-pages once"
