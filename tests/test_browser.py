"""The class report in a real browser: headless Chromium (Debian's ``chromium`` and
``chromium-driver``) driven by selenium opens the pages and sees what a grader sees: each
question's counts, formulas rendered as MathML, a write-up's ``<script>`` and
``\\href{javascript:...}`` shown as text and never run. Skipped where Chromium is absent;
failed then under CI=true (.ci/run installs it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from reference import shared_required
from test_grading import ROOT, make_class


def _browser():
    missing = [n for n in ("chromium", "chromedriver") if shutil.which(n) is None]
    try:
        from selenium import webdriver  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        reason = f"needs {', '.join(missing)} (Debian: apt-get install chromium chromium-driver)"
        if shared_required():
            pytest.fail(f"{reason}; CI=true: they must be installed", pytrace=False)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1600"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")),
                            options=options)


@pytest.fixture(scope="module")
def browser():
    driver = _browser()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    folder = make_class(tmp / "class")
    out = tmp / "report"
    r = subprocess.run([sys.executable, "-m", "symgrad", "review", str(folder), "--out",
                        str(out)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 2 and (out / "index.html").is_file(), r.stderr
    return out


def _shot(browser, path: Path) -> None:
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1280, min(max(height + 40, 600), 4000))
    assert browser.save_screenshot(str(path)) and path.stat().st_size > 10_000


def test_class_page_shows_counts_and_rendered_formulas(browser, report, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get((report / "index.html").as_uri())
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-question="1.1.a"]')
    assert row.is_displayed()
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert cells[:5] == ["1.1.a", "1", "3", "0", "0"]       # right, wrong, not judged, none
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "2 student(s): shape: 5 x 3 instead of 1 x 5 x 2" in body
    formula = browser.find_element(By.CSS_SELECTOR, "li.group math")
    size = formula.size
    assert formula.is_displayed() and size["width"] > 20 and size["height"] > 8
    # rendered as MathML: laid out as math, not as the LaTeX source
    assert "\\times" not in formula.text and "×" in formula.text
    _shot(browser, tmp_path / "index.png")


def test_writeup_page_shows_hostile_text_as_text(browser, report, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get((report / "dave.md.html").as_uri())
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "<script>alert(3)</script>" in body                # shown, as the writer typed it
    assert browser.execute_script("return document.scripts.length") == 0
    assert browser.find_elements(By.CSS_SELECTOR, "[href^='javascript']") == []
    maths = browser.find_elements(By.CSS_SELECTOR, "td math")
    assert maths and all(m.is_displayed() for m in maths)
    assert "layout" in body and "1.1.a" in body
    _shot(browser, tmp_path / "dave.png")
