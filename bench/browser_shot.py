"""make screenshots: the browser view of `incident-console serve --demo`, taken by
Debian's headless Chromium, into screenshots/serve-browser.png."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench.serve_load import start_serve, stop_serve
from tests.test_serve import CHROMIUM, CHROMIUM_ARGS

OUT = Path(__file__).resolve().parent.parent / "screenshots" / "serve-browser.png"


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"  (no browser shot: {CHROMIUM} is not installed)")
        return 0
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="ic-browser-shot-"))
    proc, url = start_serve("--demo", "--local", home=work)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            deadline = time.monotonic() + 60
            while True:  # the server may not listen yet
                try:
                    page.goto(url)
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            page.wait_for_selector(".xterm-accessibility-tree", state="attached", timeout=30_000)
            while True:
                text = page.inner_text(".xterm-accessibility-tree")
                if "CrashLoopBackOff" in text and "OOMKilled" in text and "CPU " in text:
                    break
                if time.monotonic() > deadline:
                    raise SystemExit("browser shot: the demo incident did not show")
                page.wait_for_timeout(300)
            page.wait_for_timeout(4000)  # a few seconds of host history in the chart
            page.screenshot(path=str(OUT))
            browser.close()
        print(f"  {OUT.relative_to(OUT.parent.parent)}")
    finally:
        stop_serve(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
