"""Copy the dashboard screenshots the browser test took (out/screenshots/) into docs/screenshots/
for the README's user guide, reduced to 256 colours so that the repository stays small.

    .venv/bin/pytest tests/test_browser.py && .venv/bin/python docs/update_screenshots.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
TAKEN = REPO / "out" / "screenshots"
KEPT = REPO / "docs" / "screenshots"
#: The pages the user guide shows: every page in French, the overview in Arabic.
PAGES = [
    "fr-overview",
    "fr-profiles",
    "fr-catalogues",
    "fr-selection",
    "fr-shipping",
    "fr-budget",
    "fr-record",
    "fr-exports",
    "ar-overview",
]


def main() -> int:
    missing = [page for page in PAGES if not (TAKEN / f"{page}.png").exists()]
    if missing:
        print(f"no screenshot for {', '.join(missing)} in {TAKEN}: run tests/test_browser.py first")
        return 1
    KEPT.mkdir(parents=True, exist_ok=True)
    for page in PAGES:
        with Image.open(TAKEN / f"{page}.png") as image:
            reduced = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
            reduced.save(KEPT / f"{page}.png", optimize=True)
    print(f"{len(PAGES)} screenshots written to {KEPT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
