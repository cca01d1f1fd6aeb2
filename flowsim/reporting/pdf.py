"""A board pack on paper: print CSS for the exported HTML, and its PDF printed by a headless Chromium.

The HTML of a pack carries :data:`PRINT_CSS`: A4 pages with page numbers, figures scaled to the page
width (and height) and never split across two pages, headings kept with what follows them.
:func:`print_pdf` prints that HTML with the system's Chromium (or Chrome) in headless mode, offline
and without the browser's own header and footer (which would show the file's path on every page).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from flowsim.experiment.io import atomic_write

__all__ = ["BROWSERS", "PACK_MARK", "PRINT_CSS", "find_browser", "print_pdf", "with_print_css"]

# Looked for on PATH, in this order, to print the PDF.
BROWSERS = ("chromium", "chromium-browser", "google-chrome")

# In every pack's print styles, so a page flowsim-board wrote is known again (see PRINT_CSS).
PACK_MARK = "flowsim board pack: how it prints"

# A4 less the margins is 182 x 266 mm; a figure is at most 250 mm tall, so it always fits a page.
PRINT_CSS = "<style>\n/* " + PACK_MARK + """ (flowsim-board's PDF, or a browser's Print) */
img { max-width: 100%; height: auto; }
/* the provenance table's digests and SHAs (columns 5 and 7) wrap where they must, so the table fits
   the page rather than scrolling off it */
table.flowsim-wrap td:nth-child(5), table.flowsim-wrap td:nth-child(7) { overflow-wrap: anywhere; }
@page {
  size: A4;
  margin: 14mm 14mm 16mm 14mm;
  @bottom-right { content: "page " counter(page) " of " counter(pages); font: 8pt sans-serif; color: #555; }
}
@media print {
  /* tables a little smaller than the text, so a table of options fits A4's width */
  table, table td, table th { font-size: 8.5pt !important; }
  table td, table th { padding: 0.4em 0.45em !important; }
  img { max-height: 250mm; width: auto; object-fit: contain; }
  img, .jp-RenderedImage, .jp-OutputArea-child:has(img), table {
    break-inside: avoid; page-break-inside: avoid;
  }
  h1, h2, h3, .jp-MarkdownCell { break-after: avoid; page-break-after: avoid; }
}
</style>
"""


def with_print_css(html: str) -> str:
    """``html`` with :data:`PRINT_CSS` at the end of its ``<head>`` (after, so it wins over, the theme's).

    Parameters
    ----------
    html : str
        A whole HTML document, such as nbconvert's export of a notebook.

    Returns
    -------
    str
        The document with the print styles; a document without ``</head>`` gets them first.
    """
    head_end = html.find("</head>")
    if head_end < 0:
        return PRINT_CSS + html
    return html[:head_end] + PRINT_CSS + html[head_end:]


def find_browser() -> str | None:
    """The first of :data:`BROWSERS` found on ``PATH``, as a path; ``None`` when there is none."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html: str | Path, pdf: str | Path, browser: str, timeout_s: float = 180) -> Path:
    """Print ``html`` to ``pdf`` with a headless Chromium, the way its print CSS lays it out.

    The browser runs with a throwaway profile (a Chromium the user has open is not disturbed), resolves
    no host names (a pack is self-contained: the theme's links to script CDNs are not fetched), and
    prints no header or footer of its own. As root it needs ``--no-sandbox``, which it is then given.

    Parameters
    ----------
    html : path
        The exported HTML.
    pdf : path
        The PDF to write, atomically (an interrupted print leaves no partial file).
    browser : str
        The Chromium or Chrome executable, e.g. from :func:`find_browser`.
    timeout_s : float
        How long the browser may take.

    Returns
    -------
    pathlib.Path
        The PDF file.

    Raises
    ------
    RuntimeError
        When the browser fails or writes no PDF; the message ends with the browser's last error line.
    """
    source = Path(html).resolve().as_uri()

    def write(tmp: Path) -> None:
        tmp.unlink()  # Chromium writes the file itself: an empty one left behind would look printed
        with tempfile.TemporaryDirectory(prefix="flowsim-chromium-") as profile:
            command = [browser, "--headless", "--disable-gpu", "--no-first-run", "--disable-extensions",
                       "--no-pdf-header-footer", "--host-resolver-rules=MAP * ~NOTFOUND",
                       f"--user-data-dir={profile}", f"--print-to-pdf={tmp}", source]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                command.insert(1, "--no-sandbox")
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                                      check=False, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"{browser} did not finish printing within {timeout_s:g} s") from None
        if done.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            last = " ".join(lines[-1].split()) if lines else "no message"
            raise RuntimeError(f"{browser} exited with code {done.returncode} and no PDF: {last}")

    return atomic_write(pdf, write)
