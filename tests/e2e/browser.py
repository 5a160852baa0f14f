"""A real headless Chromium for the web page's tests: Debian's `chromium` package (`make
chromium` installs it), driven by Playwright through `executable_path`. Playwright never
downloads a browser here (nothing runs `playwright install`).

Screenshots are test artifacts, kept whatever the outcome: `.artifacts/ui/` at the repository
root, or `$ACTIONPOOL_TEST_ARTIFACTS/ui/`.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    ViewportSize,
    expect,
    sync_playwright,
)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("ACTIONPOOL_TEST_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("ACTIONPOOL_TEST_ARTIFACTS", ROOT / ".artifacts")) / "ui"
ARGS = [
    "--no-sandbox",  # root in a container: Chromium's sandbox needs user namespaces
    "--disable-dev-shm-usage",  # containers' /dev/shm is small: shared memory in /tmp
    "--disable-gpu",
]
VIEWPORT: ViewportSize = {"width": 1400, "height": 900}
EXPECT_TIMEOUT_MS = 20_000
"""How long Playwright's `expect` waits for a condition: a bound against hanging (runs end
within seconds here), not a measured time."""

expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, for one module's tests."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: `make chromium` installs Debian's chromium package "
            "(or set ACTIONPOOL_TEST_CHROMIUM to a Chromium binary)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class PageErrors:
    """What must never happen on the page: an uncaught script error, or a request or script
    the Content-Security-Policy refused."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.errors.append(f"CSP: {message.text}")


@contextlib.contextmanager
def browser_page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh context (its own sessionStorage: signed out); fails the test if an
    error in `PageErrors` happened on it."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors = PageErrors(page)
    try:
        yield page
    finally:
        context.close()
    assert errors.errors == [], "\n".join(errors.errors)


def artifact_name(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Screenshots:
    """Numbered full-page screenshots of one test, `<test>-<nn>-<step>.png`, and the page as
    it was when the test failed, `<test>-failed.png`; the folder's old screenshots of that
    test are removed first."""

    def __init__(self, test_name: str, folder: Path = ARTIFACTS) -> None:
        self.folder = folder
        self.test = artifact_name(test_name.removeprefix("test_"))
        self.taken: list[Path] = []
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{self.test}-*.png"):
            old.unlink()

    def take(self, page: Page, step: str) -> Path:
        path = self.folder / f"{self.test}-{len(self.taken) + 1:02d}-{artifact_name(step)}.png"
        page.screenshot(path=path, full_page=True)
        self.taken.append(path)
        return path

    def take_failure(self, page: Page) -> Path:
        path = self.folder / f"{self.test}-failed.png"
        page.screenshot(path=path, full_page=True)
        return path
