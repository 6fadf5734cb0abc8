"""Fixtures for the end-to-end tests: a real JupyterLab (and, when asked, a Notebook 7)
server, Debian's Chromium driven by Playwright, and helpers on the live kernel.

Every test here is marked `e2e`; they are skipped (with the reason) only when
/usr/bin/chromium is missing. The machinery lives in jupyter_harness.py so that
benchmarks/bench_latency.py drives exactly the same harness.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
try:  # the test process reads the store with hitl_widgets too: installed or this checkout
    import hitl_widgets  # noqa: F401
except ImportError:  # pragma: no cover - not pip-installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from jupyter_harness import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    JupyterServer,
    NotebookPage,
    chromium_available,
    launch_chromium,
)

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mine = [it for it in items if Path(str(it.fspath)).resolve().is_relative_to(E2E_DIR)]
    for it in mine:
        it.add_marker(pytest.mark.e2e)
    if not chromium_available():
        skip = pytest.mark.skip(
            reason=f"end-to-end tests need Chromium at {CHROMIUM} "
            "(apt-get install -y chromium); it is missing"
        )
        for it in mine:
            it.add_marker(skip)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # type: ignore[no-untyped-def]
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


# pytest-playwright's own fixtures (browser, page) get the same Chromium and flags, in
# case a test here uses them.
@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    return {"executable_path": CHROMIUM, "args": list(CHROMIUM_ARGS), "headless": True}


@pytest.fixture(scope="session")
def e2e_playwright(request: pytest.FixtureRequest):
    """One Playwright instance per session: pytest-playwright's, when that plugin is
    loaded (two sync Playwright instances cannot run in one thread), else our own."""
    if request.config.pluginmanager.hasplugin("playwright") or request.config.pluginmanager.hasplugin(
        "pytest_playwright"
    ):
        try:
            yield request.getfixturevalue("playwright")
            return
        except pytest.FixtureLookupError:
            pass
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        yield pw
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def chromium(e2e_playwright):
    if not chromium_available():
        pytest.skip(f"Chromium is missing at {CHROMIUM}")
    browser = launch_chromium(e2e_playwright)
    yield browser
    browser.close()


def _server(flavor: str, tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp(f"jupyter-{flavor}")
    server = JupyterServer(flavor, base_dir=base)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory):
    """A JupyterLab 4 server for the whole session (its own runtime dir and root dir)."""
    if not chromium_available():
        pytest.skip(f"Chromium is missing at {CHROMIUM}")
    yield from _server("lab", tmp_path_factory)


@pytest.fixture(scope="session")
def notebook7_server(tmp_path_factory: pytest.TempPathFactory):
    """A Notebook 7 server, started only when a test asks for it."""
    if not chromium_available():
        pytest.skip(f"Chromium is missing at {CHROMIUM}")
    yield from _server("notebook", tmp_path_factory)


@pytest.fixture
def browser_page(chromium, request: pytest.FixtureRequest):
    """A fresh browser context (own localStorage) and page per test. On failure a
    screenshot lands in tests/e2e/artifacts/."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.page_errors = errors  # type: ignore[attr-defined]
    yield page
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        try:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"))
        except Exception:
            pass
    context.close()


@pytest.fixture
def open_notebook(browser_page, request: pytest.FixtureRequest):
    """open_notebook(server, name, nb_dict) -> NotebookPage with an idle kernel.
    Kernels opened this way are shut down at the end of the test."""
    opened: list[NotebookPage] = []

    def _open(server: JupyterServer, name: str, nb: dict) -> NotebookPage:
        path = server.write_notebook(name, nb)
        nbp = NotebookPage(browser_page, server, path).open()
        opened.append(nbp)
        return nbp

    yield _open
    rep = getattr(request.node, "rep_call", None)
    for nbp in opened:
        if rep is not None and rep.failed:
            sys.stderr.write(f"\n--- jupyter {nbp.server.flavor} log tail ---\n{nbp.server.log_tail(3000)}\n")
        nbp.server.shutdown_session(nbp.path)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "review.db"
