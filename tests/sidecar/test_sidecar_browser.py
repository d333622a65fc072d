"""/docs in a real browser: headless Chromium (Debian's, installed by `make browser-deps`) uses Swagger UI's
"Try it out" on POST /route with a recipe timestamp and reads the even destination in the answer.

Offline: the page, its assets and the request all stay on the loopback server. Selenium drives Debian's
chromedriver, named explicitly, so Selenium Manager never looks for (or downloads) a driver.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait
from sidecar_testing import INFO, LOOPBACK, ROOT, default_chain

from sidecar import SidecarServer, create_app

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMEDRIVER: Final = Path("/usr/bin/chromedriver")
ARTIFACTS: Final = ROOT / ".artifacts"  # git-ignored: the screenshot outlives pytest's tmp_path here
TIMESTAMP: Final = "05/17/19 17:56:36"  # the time source's format; the last digit is even
WAIT_S: Final = 30.0  # generous: two cores shared with brokers and other tests


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} not found: run `make browser-deps` (Debian's chromium and chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1800"):
        options.add_argument(argument)
    # --no-sandbox: CI runs as root, where Chromium refuses to start sandboxed.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    try:
        yield driver
    finally:
        driver.quit()


def test_try_it_out_on_post_route_shows_the_even_destination(browser: WebDriver, tmp_path: Path) -> None:
    server = SidecarServer(create_app(default_chain(), info=INFO, settings=LOOPBACK), LOOPBACK)
    server.start()
    try:
        browser.get(f"{server.url}/docs")
        operation = _visible(browser, "#operations-route-route_route_post")
        operation.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
        _clickable(browser, "#operations-route-route_route_post .try-out__btn").click()
        Select(_visible(browser, "#operations-route-route_route_post .body-param-content-type select")).select_by_value(
            "text/plain"
        )
        body = _visible(browser, "#operations-route-route_route_post textarea.body-param__text")
        body.clear()
        body.send_keys(TIMESTAMP)
        _clickable(browser, "#operations-route-route_route_post .btn.execute").click()

        answer = _answer(browser)
        # The whole exchange in one picture: the summary, the text/plain body, the curl line and the answer.
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'});", operation)
        shot = tmp_path / "docs-try-it-out-route.png"
        assert browser.save_screenshot(str(shot)), "Chromium did not write the screenshot"
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(shot, ARTIFACTS / shot.name)

        result = json.loads(answer.text)
        assert result["status"] == "routed"
        assert result["topic"] == INFO.bindings["even"]
        assert result["value"] == f"Even timestamp: {TIMESTAMP}"
        status = browser.find_element(
            By.CSS_SELECTOR, "#operations-route-route_route_post .live-responses-table tr.response .response-col_status"
        )
        assert status.text.strip() == "200"
        assert shot.stat().st_size > 10_000  # a rendered page, not a blank one
        loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert loaded, "the browser recorded no resource loads"
        assert [url for url in loaded if not url.startswith(server.url)] == [], "/docs loaded something off the server"
    finally:
        server.stop()


def _visible(browser: WebDriver, css: str) -> WebElement:
    element: WebElement = WebDriverWait(browser, WAIT_S).until(
        ready.visibility_of_element_located((By.CSS_SELECTOR, css)), f"{css} never showed on /docs"
    )
    return element


def _clickable(browser: WebDriver, css: str) -> WebElement:
    element: WebElement = WebDriverWait(browser, WAIT_S).until(
        ready.element_to_be_clickable((By.CSS_SELECTOR, css)), f"{css} never became clickable on /docs"
    )
    return element


def _answer(browser: WebDriver) -> WebElement:
    """The response body Swagger UI shows once the request has come back."""
    css = "#operations-route-route_route_post .live-responses-table tr.response .response-col_description pre"
    try:
        WebDriverWait(browser, WAIT_S).until(ready.text_to_be_present_in_element((By.CSS_SELECTOR, css), "status"))
    except TimeoutException:
        pytest.fail(f"Swagger UI showed no answer from POST /route within {WAIT_S:.0f} s")
    return browser.find_element(By.CSS_SELECTOR, css)
