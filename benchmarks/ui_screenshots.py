"""Screenshots of the web UI's main pages, wide and narrow, into ``docs/screenshots/``.

Starts a real server over a fresh demo registry, drives Debian's Chromium through Playwright and
writes ``<page>-<wide|narrow>.png`` for the catalog, a model, a version and a comparison, and
for the governance pages: a version with its promotion panel, the promotion inbox, the audit
log and the model card editor (the demo gets a policy, a pending promotion and an archived
version for them).
Run it after changing templates or CSS, then look at the images:

    python benchmarks/ui_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from ui_demo import CHROMIUM, CHROMIUM_ARGS, running_server, seed_demo

from modelreg import Client

ROOT = Path(__file__).resolve().parent.parent
VIEWPORTS = {"wide": (1366, 900), "narrow": (390, 844)}
PAGES = {
    "catalog": "/",
    "model": "/models/fraud-detector",
    "version": "/models/fraud-detector/versions/5",
    "compare": "/compare?v=fraud-detector/3&v=fraud-detector/4&v=fraud-detector/5",
    "promotion": "/models/fraud-detector/versions/6",
    "promotions": "/promotions",
    "archived": "/models/fraud-detector/versions/1",
    "audit": "/audit?model=fraud-detector",
    "card-edit": "/models/fraud-detector/versions/6/card",
}
POLICY = {
    "version": {"required": ["description"]},
    "aliases": {
        "production": {
            "approvals": 2,
            "model_card": True,
            "gates": ["metrics.auc >= 0.9", "metrics.auc >= previous - 0.01"],
        },
        "staging": {"gates": ["metrics.auc >= 0.85"]},
    },
}
CARD = """---
license: apache-2.0
owner: risk-team
---
# Fraud detector v6

Retrained on data up to 2026-06. Evaluated on July and August 2026.
"""


def seed_governance(url: str, work: Path) -> None:
    """A policy protecting production, a pending promotion with one of two approvals, a model
    card with two revisions and an archived version."""
    with Client(url, user="alice", cache_dir=work / "cache") as alice:
        alice.set_policy(POLICY, model="fraud-detector")
        alice.set_card("fraud-detector", 6, CARD.replace("v6", "6"))
        alice.set_card("fraud-detector", 6, CARD)
        request = alice.request_promotion(
            "fraud-detector", "production", 6, reason="Higher AUC and recall on July data."
        )
        alice.archive_version("fraud-detector", 1)
    with Client(url, user="bob", cache_dir=work / "cache") as bob:
        bob.approve_promotion(request.id, reason="Checked the evaluation report.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="modelreg-shots-") as scratch:
        work = Path(scratch)
        with running_server(work / "home") as url:
            seed_demo(url, work)
            seed_governance(url, work)
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
