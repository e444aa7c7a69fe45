"""Browser tests: Debian's Chromium, headless, driven by Playwright's sync API against
pytest-django's live server. One browser for all of them, a fresh context (cookies, storage)
per test. The helpers the tests share are in tests/browser/helpers.py."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, sync_playwright

from .helpers import CHROMIUM, DESKTOP

# Chromium's own background traffic (updates, sync, QUIC probes) is refused on a closed network
# and only slows it down; the sandbox needs user namespaces that a root container lacks.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="package", autouse=True)
def _orm_beside_playwright():
    """Playwright's sync API runs an event loop in the test's thread, and Django refuses ORM
    calls from a thread with a running loop: these tests (and their database's flush) read and
    write the database directly. Allowed for this package only, around its browser."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def browser():
    """Launched once for this package, and stopped with it: its event loop must not outlive the
    browser tests, or every later test's ORM call would be refused."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, live_server, transactional_db):
    """open_page() -> a new tab in a browser context of its own (one person's cookies), at
    desktop width, its relative URLs on the live server, whose requests see what the test
    writes (transactional_db commits for real). Every context is closed after the test."""
    contexts = []

    def open_() -> Page:
        context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page) -> Page:
    return open_page()


@pytest.fixture
def catalogue(transactional_db):
    """The shipped catalogue and a few synthetic people's feedback (for the popularity
    ranking), as `make demo` loads them, only smaller."""
    call_command("seed_demo", users=30, seed=1, no_progress=True, stdout=io.StringIO())
