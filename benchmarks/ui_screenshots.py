"""Screenshots of the web UI's main pages, wide and narrow, into ``docs/screenshots/``.

Starts a real server over a fresh demo registry, drives Debian's Chromium through Playwright and
writes ``<page>-<wide|narrow>.png`` for the catalog, a model, a version and a comparison.
Run it after changing templates or CSS, then look at the images:

    python benchmarks/ui_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from ui_demo import CHROMIUM, CHROMIUM_ARGS, running_server, seed_demo

ROOT = Path(__file__).resolve().parent.parent
VIEWPORTS = {"wide": (1366, 900), "narrow": (390, 844)}
PAGES = {
    "catalog": "/",
    "model": "/models/fraud-detector",
    "version": "/models/fraud-detector/versions/5",
    "compare": "/compare?v=fraud-detector/3&v=fraud-detector/4&v=fraud-detector/5",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="modelreg-shots-") as scratch:
        work = Path(scratch)
        with running_server(work / "home") as url:
            seed_demo(url, work)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for layout, (width, height) in VIEWPORTS.items():
                    context = browser.new_context(
                        viewport={"width": width, "height": height},
                        color_scheme="light",
                        device_scale_factor=1,
                    )
                    page = context.new_page()
                    for name, path in PAGES.items():
                        page.goto(url + path)
                        page.wait_for_load_state("networkidle")
                        target = args.out / f"{name}-{layout}.png"
                        page.screenshot(path=str(target), full_page=True)
                        print(f"wrote {target.relative_to(ROOT)}")
                    context.close()
                browser.close()


if __name__ == "__main__":
    main()
