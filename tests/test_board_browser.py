"""The board pack in a real browser and on paper: what a reader sees, and figures never cut by a page.

``flowsim-board`` builds a pack (HTML and PDF) from a small sweep run here. The HTML is opened in the
system's headless Chromium through Selenium and ChromeDriver: the headline and every figure must be
on screen, and no warning, traceback, missing value or machine path. A full-page screenshot and the
PDF are kept as artefacts (in ``$FLOWSIM_ARTEFACTS`` when set, else the test's temporary folder).
The PDF is read with pypdf: A4 pages, every figure drawn once, on one page, inside it.

Without Chromium or ChromeDriver the tests skip, saying what to install; with
``FLOWSIM_REQUIRE_BROWSER=1`` (as in CI) they fail instead (the fixtures are in ``conftest.py``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from flowsim.experiment.pipeline import run_scenario
from flowsim.model.compose import load_config
from flowsim.reporting.board import main
from flowsim.reporting.pdf import print_pdf, with_print_css

OPTION = "services.ic_beds.capacity"
TITLE = "Intermediate-care beds: how many?"
A4_PT = (595.28, 841.89)  # 210 x 297 mm in points
# What must never be read in a pack: Python's complaints, a figure shown as its repr, missing values.
FORBIDDEN = re.compile(r"Traceback|Warning|Error|Exception|<Figure size|\b(?:NaN|nan|None|inf)\b")
MACHINE_PATHS = ("/tmp/", "/work/", "/home/", "/root/", "/var/", "/Users/", "C:\\")


@pytest.fixture(scope="module")
def pack(tmp_path_factory, browser) -> tuple[Path, Path, Path]:
    """(sweep folder, HTML, PDF): jobs with 12, 16 and 20 P2 beds, 3 replications, through flowsim-board."""
    sweep = tmp_path_factory.mktemp("sweep")
    for job, places in enumerate((12, 16, 20)):
        overrides = ["scenario=quick", "run.warm_up_days=30", "run.horizon_days=90", "replications=3",
                     "outputs.summary=false", "outputs.patients=false", f"{OPTION}={places}"]
        run_scenario(load_config(overrides), sweep / str(job), overrides=overrides, progress=False, job=job)
    html = tmp_path_factory.mktemp("pack") / "board.html"
    main([str(sweep), "--output", str(html), "--title", TITLE])
    return sweep, html, html.with_suffix(".pdf")


# Each table's scroll box: a table wider than the box it sits in scrolls, and prints cut off at its edge.
TABLES_JS = """return Array.from(document.querySelectorAll('table'), t => {
    const box = t.closest('.jp-OutputArea-output, .jp-RenderedHTMLCommon') || t.parentElement;
    return {head: t.rows[0].innerText.slice(0, 40), wide: box.scrollWidth, box: box.clientWidth};
});"""
IMAGES_JS = """return Array.from(document.images, i => {
    const r = i.getBoundingClientRect();
    return {complete: i.complete, natural: i.naturalWidth, width: r.width, height: r.height,
            right: r.right, page: document.documentElement.clientWidth};
});"""


def test_a_reader_sees_the_headline_and_every_figure(pack, driver, artefacts, screenshot):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    sweep, html, _ = pack
    driver.set_window_size(1280, 1000)
    driver.get(html.resolve().as_uri())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete)"))
    (artefacts / "board_pack.png").write_bytes(screenshot(driver))
    assert driver.title == TITLE  # the tab (and the PDF's document title), not "Notebook"

    # the headline: the recommendation, on the first screen
    headline = driver.find_element(By.XPATH,
                                   "//strong[starts-with(normalize-space(.), 'Recommendation: ')]")
    assert headline.is_displayed()
    assert re.fullmatch(rf"Recommendation: (keep the baseline, )?{re.escape(OPTION)} = (12|16|20)\.?",
                        headline.text), headline.text
    assert 0 <= headline.rect["y"] < driver.execute_script("return window.innerHeight")
    text = driver.find_element(By.TAG_NAME, "body").text  # what is rendered visible, as a reader sees it
    assert text.startswith(f"{TITLE}\nRecommendation: ")

    # every figure is a loaded image, drawn with a size, inside the page
    images = driver.execute_script(IMAGES_JS)
    assert len(images) >= 5
    for image in images:
        assert image["complete"] and image["natural"] > 0, image
        assert image["width"] > 0 and image["height"] > 0, image
        assert image["right"] <= image["page"] + 0.5, image  # no figure runs off the right edge
    assert all(element.is_displayed() for element in driver.find_elements(By.TAG_NAME, "img"))
    driver.set_window_size(700, 1000)  # a narrow window (a tablet, a half screen): figures shrink to fit
    assert all(i["width"] > 0 and i["right"] <= i["page"] + 0.5 for i in driver.execute_script(IMAGES_JS))
    # the run identities and git SHAs wrap rather than run off the side, as they did in the PDF before
    assert [t for t in driver.execute_script(TABLES_JS) if t["wide"] > t["box"] + 1
            and t["head"].startswith("job\toption")] == []
    # printed, on A4's printable width (182 mm, about 690 px), every table fits its box
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    tables = driver.execute_script(TABLES_JS)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert len(tables) >= 3
    assert [t for t in tables if t["wide"] > t["box"] + 1] == []
    driver.set_window_size(1280, 1000)
    assert [t for t in driver.execute_script(TABLES_JS) if t["wide"] > t["box"] + 1] == []

    # nothing a board should not read: no output on stderr, no warning or traceback, no missing value
    assert driver.find_elements(By.CSS_SELECTOR, '[data-mime-type="application/vnd.jupyter.stderr"]') == []
    assert FORBIDDEN.findall(text) == []
    # and no path of the machine that built it
    for path in (*MACHINE_PATHS, str(sweep), str(sweep.resolve()), str(html.parent)):
        assert path not in text


@dataclass(frozen=True)
class Drawn:
    """One image drawn on a PDF page: which image (a digest of its pixels), where, and its pixel size."""

    page: int
    digest: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in points
    page_box: tuple[float, float, float, float]
    pixels: tuple[int, int]


def _times(a: list[float], b: list[float]) -> list[float]:
    """The PDF matrix product a x b of two [a b c d e f] matrices."""
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2],
            a[2] * b[1] + a[3] * b[3], a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def _walk(content, resources, ctm: list[float], page: int, page_box, reader, out: list[Drawn]) -> None:
    """Follow q/Q/cm and Do through a content stream (and the forms it draws), recording images."""
    from pypdf.generic import ContentStream

    saved: list[list[float]] = []
    for operands, operator in ContentStream(content, reader).operations:
        if operator == b"q":
            saved.append(ctm)
        elif operator == b"Q":
            ctm = saved.pop()
        elif operator == b"cm":
            ctm = _times([float(v) for v in operands], ctm)
        elif operator == b"Do":
            xobject = resources["/XObject"][operands[0]]
            if xobject["/Subtype"] == "/Form":
                matrix = [float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                _walk(xobject, xobject.get("/Resources", resources), _times(matrix, ctm), page, page_box,
                      reader, out)
            elif xobject["/Subtype"] == "/Image":  # drawn into the unit square, mapped by the CTM
                corners = [(ctm[4] + x * ctm[0] + y * ctm[2], ctm[5] + x * ctm[1] + y * ctm[3])
                           for x in (0, 1) for y in (0, 1)]
                xs, ys = [c[0] for c in corners], [c[1] for c in corners]
                out.append(Drawn(page, hashlib.sha256(xobject.get_data()).hexdigest(),
                                 (min(xs), min(ys), max(xs), max(ys)), page_box,
                                 (int(xobject["/Width"]), int(xobject["/Height"]))))


def drawn_images(pdf: Path) -> list[Drawn]:
    """Every image drawn in ``pdf``, page by page (pages counted from 1)."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    out: list[Drawn] = []
    for number, page in enumerate(reader.pages, 1):
        box = tuple(float(v) for v in page.mediabox)
        if page.get_contents() is not None:
            _walk(page.get_contents(), page["/Resources"], [1, 0, 0, 1, 0, 0], number, box, reader, out)
    return out


def split_figures(drawn: list[Drawn], tolerance_pt: float = 0.5) -> list[str]:
    """What is wrong with how the figures sit on the pages, in words; empty when every one is whole.

    A figure cut by a page break is drawn twice, once on each page, each time shifted so that only
    its part on that page shows (the rest is clipped off the page): so a figure must be drawn once,
    and inside its page.
    """
    pages = defaultdict(list)
    for image in drawn:
        pages[image.digest].append(image.page)
    problems = [f"image {digest[:8]} is drawn on pages {', '.join(map(str, on))}"
                for digest, on in pages.items() if len(on) > 1]
    for image in drawn:
        (x0, y0, x1, y1), (px0, py0, px1, py1) = image.box, image.page_box
        inside = (x0 >= px0 - tolerance_pt and y0 >= py0 - tolerance_pt and x1 <= px1 + tolerance_pt
                  and y1 <= py1 + tolerance_pt)
        if not inside:
            box, page = (tuple(round(v) for v in b) for b in (image.box, image.page_box))
            problems.append(f"image {image.digest[:8]} on page {image.page} runs off it: drawn at {box}, "
                            f"the page is {page}")
    return problems


def test_the_pdf_holds_every_figure_whole_on_a4(pack, artefacts):
    from pypdf import PdfReader

    sweep, html, pdf = pack
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF-")
    shutil.copyfile(pdf, artefacts / "board_pack.pdf")
    reader = PdfReader(pdf)
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4_PT, abs=1)
    assert reader.metadata.title == TITLE

    figures = len(re.findall(r'<img[^>]* src="data:image/png;base64,', html.read_text(encoding="utf-8")))
    drawn = drawn_images(pdf)
    assert figures >= 5 and len({image.digest for image in drawn}) >= figures
    assert split_figures(drawn) == []
    for image in drawn:  # scaled to the page, never squashed: the drawn box keeps the image's shape
        (x0, y0, x1, y1), (width, height) = image.box, image.pixels
        assert (x1 - x0) / (y1 - y0) == pytest.approx(width / height, rel=0.02)

    pages = [page.extract_text() for page in reader.pages]
    for number, page_text in enumerate(pages, 1):  # numbered pages, and no header or footer of the browser's
        assert page_text.startswith(f"page {number} of {len(pages)}\n"), page_text[:200]
    text = "\n".join(pages)
    first = pages[0].splitlines()
    assert first[1] == TITLE and first[2].startswith("Recommendation: ")
    assert FORBIDDEN.findall(text) == []
    for path in (*MACHINE_PATHS, str(sweep), str(html.parent), "file:"):
        assert path not in text


def _tall_figure_page(tmp_path: Path) -> Path:
    """A page of text and a figure 3,000 pixels tall: more than an A4 page at its natural size."""
    fig = Figure(figsize=(4, 30), dpi=100)
    axes = fig.subplots()
    axes.plot(range(30), [x % 7 for x in range(30)])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode()
    page = tmp_path / "tall.html"
    page.write_text(f"<html><head><title>tall</title></head><body><p>{'A paragraph. ' * 200}</p>"
                    f'<img src="data:image/png;base64,{data}"></body></html>', encoding="utf-8")
    return page


def test_the_split_check_sees_a_figure_cut_by_a_page_break(tmp_path, browser):
    page = _tall_figure_page(tmp_path)
    split = split_figures(drawn_images(print_pdf(page, tmp_path / "plain.pdf", browser)))
    assert any(re.fullmatch(r"image \w{8} is drawn on pages \d+(, \d+)+", p) for p in split), split
    assert any(" runs off it: " in p for p in split), split

    # the pack's print CSS scales it to fit one page, whole, keeping its shape
    page.write_text(with_print_css(page.read_text(encoding="utf-8")), encoding="utf-8")
    drawn = drawn_images(print_pdf(page, tmp_path / "styled.pdf", browser))
    assert split_figures(drawn) == [] and len(drawn) == 1
    (x0, y0, x1, y1) = drawn[0].box
    assert (x1 - x0) / (y1 - y0) == pytest.approx(400 / 3000, rel=0.02)
