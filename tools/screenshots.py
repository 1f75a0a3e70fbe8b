"""Screenshots of the built report for the README (docs/img/): the site at desktop and phone
width, and the PDF's first pages side by side. Run `make screenshots` after `make`.

Needs Debian's chromium and poppler-utils (pdftoppm); never downloads a browser.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "_book"
OUT = ROOT / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGE = "chapters/04-hovedprosjekt.html#sec-oppsummering-delmal"


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def site_shots() -> None:
    from playwright.sync_api import sync_playwright

    server, url = serve(BOOK)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, size in (("site-desktop", (1280, 800)), ("site-phone", (375, 740))):
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            page.goto(url + PAGE, wait_until="networkidle")
            shot = OUT / f"{name}.png"
            page.screenshot(path=str(shot))
            _shrink(shot, 900 if size[0] > 400 else 300)
        browser.close()
    server.shutdown()


def pdf_shot() -> None:
    pdf = next(BOOK.glob("*.pdf"))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "4", str(pdf),
                        f"{tmp}/p"], check=True)
        pages = [Image.open(p).convert("RGB") for p in sorted(Path(tmp).glob("p-*.png"))]
        gap = 12
        width = sum(p.width for p in pages) + gap * (len(pages) + 1)
        height = max(p.height for p in pages) + 2 * gap
        sheet = Image.new("RGB", (width, height), (220, 220, 220))
        x = gap
        for p in pages:
            sheet.paste(p, (x, gap))
            x += p.width + gap
        sheet.quantize(colors=64).save(OUT / "pdf-first-pages.png", optimize=True)


def _shrink(path: Path, width: int) -> None:
    image = Image.open(path).convert("RGB")
    height = round(image.height * width / image.width)
    small = image.resize((width, height), Image.LANCZOS)
    small.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> int:
    if not BOOK.is_dir():
        print("no _book/: run `make` first", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    site_shots()
    pdf_shot()
    for p in sorted(OUT.glob("*.png")):
        print(f"{p.relative_to(ROOT)}: {p.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
