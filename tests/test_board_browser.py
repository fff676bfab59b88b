"""The board in headless Chromium: open it, follow a claim, see the chart and the evidence.

Drives Debian's chromium (/usr/bin/chromium, installed by .ci/run) with Playwright; the board is
served by uvicorn on an ephemeral loopback port in a thread. Without chromium the test is
skipped, except when CI=true: then it fails.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.fixtures_paths import IN_CI
from tests.test_board_api import Board, board
from tests.test_claims_pipeline import CONTACT

__all__ = ["board"]  # the module-scoped fixture, shared with the API tests

CHROMIUM = Path("/usr/bin/chromium")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    message = f"no chromium at {CHROMIUM} (apt-get install chromium)"
    if IN_CI:
        pytest.fail(message + " (required when CI=true)")
    pytest.skip(message)


@pytest.fixture
def served(board: Board) -> Iterator[str]:
    """The board's base URL, served by uvicorn on 127.0.0.1 and an ephemeral port."""
    config = uvicorn.Config(
        board.app(), host="127.0.0.1", port=0, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                pytest.fail("uvicorn did not start")
            thread.join(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.mark.parametrize("board", ["sqlite"], indirect=True)
def test_a_browser_follows_a_claim_to_its_chart_and_evidence(
    served: str, chromium: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(served + "/")
            assert page.locator("tr.claim-row").count() >= 1
            page.click(f"a.claim-link[href='/claims/{CONTACT}']")
            page.wait_for_url(f"{served}/claims/{CONTACT}")

            chart = page.locator("svg.timeline")
            assert chart.is_visible()
            assert chart.locator("rect.bar-supports").count() >= 1
            box = chart.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 30
            rows = page.locator("tr.evidence-row")
            assert rows.count() >= 5
            assert rows.first.is_visible()
            assert page.locator("details.copies summary").first.inner_text() == "+1 copy"
            # The stylesheet came from /static under the CSP: the header rule applies.
            border = page.locator("header").evaluate("e => getComputedStyle(e).borderBottomStyle")
            assert border == "solid"

            shot = tmp_path / "claim.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
    assert problems == []  # no script errors, no Content-Security-Policy violations
