"""Regenerate docs/site-claim-1.png: the page of the seed article's claim 1 as `factdb site`
writes it, in headless Chromium (tests/browser.py), 1200 pixels wide.

    .venv/bin/python scripts/screenshot.py            # writes docs/site-claim-1.png
    .venv/bin/python scripts/screenshot.py OUT.png
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import Browser, find_chromium  # noqa: E402


def main() -> int:
    args = sys.argv[1:]
    if any(a.startswith("-") for a in args) or len(args) > 1:
        print(__doc__, file=sys.stderr)  # no options: an argument is the PNG to write
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    out = Path(args[0]) if args else ROOT / "docs" / "site-claim-1.png"
    executable = find_chromium()
    if executable is None:
        print("screenshot: chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    factdb = str(ROOT / ".venv" / "bin" / "factdb")
    with tempfile.TemporaryDirectory() as work:
        database = str(Path(work) / "seed.sqlite3")
        subprocess.run([factdb, "--db", database, "seed"], check=True, capture_output=True)
        index = subprocess.run(
            [factdb, "--db", database, "site", "-o", str(Path(work) / "site")],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        browser = Browser(executable)
        try:
            page = browser.open((Path(index).parent / "claims" / "1.html").as_uri(), 1200, 900)
            if page.errors:
                print(f"screenshot: the page reported errors: {page.errors}", file=sys.stderr)
                return 1
            out.write_bytes(page.screenshot())
        finally:
            browser.close()
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
