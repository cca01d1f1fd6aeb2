"""``flowsim.reporting.pdf`` without a browser: where the print CSS goes, which browser is used, failures.

The real printing (a pack and a figure taller than a page, through Chromium) is checked in
``test_board_browser.py``; here the browser is a small script that behaves as asked.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from flowsim.reporting import pdf as pdf_module
from flowsim.reporting.pdf import BROWSERS, PRINT_CSS, find_browser, print_pdf, with_print_css


def test_print_css_goes_last_in_the_head():
    page = "<html><head><style>img { width: 2000px }</style></head><body><img></body></html>"
    styled = with_print_css(page)
    assert styled == page.replace("</head>", PRINT_CSS + "</head>")  # after the theme's styles: it wins
    assert with_print_css("<p>no head</p>") == PRINT_CSS + "<p>no head</p>"


def test_print_css_is_a4_with_figures_whole_and_page_numbers():
    css = " ".join(PRINT_CSS.split())
    assert "@page { size: A4; margin: 14mm 14mm 16mm 14mm;" in css
    assert 'content: "page " counter(page) " of " counter(pages);' in css
    assert "img { max-width: 100%; height: auto; }" in css  # on screen too: a narrow window
    assert "img { max-height: 250mm; width: auto; object-fit: contain; }" in css  # 297 - 30 mm of margins
    assert "img, .jp-RenderedImage, .jp-OutputArea-child:has(img), table { break-inside: avoid;" in css
    assert "h1, h2, h3, .jp-MarkdownCell { break-after: avoid;" in css
    assert css.startswith("<style>") and css.endswith("</style>")


def test_find_browser_takes_the_first_on_path(monkeypatch):
    assert BROWSERS == ("chromium", "chromium-browser", "google-chrome")
    on_path = {"google-chrome": "/opt/google/chrome", "chromium-browser": "/snap/bin/chromium-browser"}
    monkeypatch.setattr(pdf_module.shutil, "which", on_path.get)
    assert find_browser() == "/snap/bin/chromium-browser"
    monkeypatch.setattr(pdf_module.shutil, "which", lambda name: None)
    assert find_browser() is None


def _fake_browser(tmp_path: Path, body: str) -> str:
    """An executable that records its arguments in args.txt, then runs ``body`` (bash)."""
    script = tmp_path / "fake-chromium"
    script.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > "{tmp_path}/args.txt"\n{body}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def test_print_pdf_asks_for_a_headless_offline_print_without_browser_header(tmp_path):
    html = tmp_path / "pack.html"
    html.write_text("<p>pack</p>")
    browser = _fake_browser(tmp_path, 'for a in "$@"; do case "$a" in\n'
                                      '  --print-to-pdf=*) printf "%%PDF-1.4 fake" > "${a#*=}";;\nesac; done')
    written = print_pdf(html, tmp_path / "out" / "pack.pdf", browser)
    assert written == tmp_path / "out" / "pack.pdf" and written.read_bytes() == b"%PDF-1.4 fake"
    args = (tmp_path / "args.txt").read_text().splitlines()
    assert args[-1] == html.resolve().as_uri()
    for flag in ("--headless", "--no-pdf-header-footer", "--host-resolver-rules=MAP * ~NOTFOUND"):
        assert flag in args
    assert ("--no-sandbox" in args) == (os.geteuid() == 0)  # Chromium refuses root without it
    profile = next(a.split("=", 1)[1] for a in args if a.startswith("--user-data-dir="))
    assert Path(profile).name.startswith("flowsim-chromium-") and not Path(profile).exists()  # thrown away
    printed = next(a.split("=", 1)[1] for a in args if a.startswith("--print-to-pdf="))
    assert Path(printed).parent == tmp_path / "out" and Path(printed).name.endswith(".tmp")  # then renamed
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["pack.pdf"]


@pytest.mark.parametrize("body, message", [
    ('echo "first line" >&2; echo "  [123:ERROR] cannot   open display " >&2; exit 3',
     "exited with code 3 and no PDF: [123:ERROR] cannot open display"),
    ("exit 0", "exited with code 0 and no PDF: no message"),  # says it printed, wrote nothing
])
def test_print_pdf_failures_leave_no_file(tmp_path, body, message):
    html = tmp_path / "pack.html"
    html.write_text("<p>pack</p>")
    browser = _fake_browser(tmp_path, body)
    with pytest.raises(RuntimeError) as error:
        print_pdf(html, tmp_path / "pack.pdf", browser)
    assert str(error.value) == f"{browser} {message}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["args.txt", "fake-chromium", "pack.html"]


def test_print_pdf_gives_up_after_its_time_limit(tmp_path):
    html = tmp_path / "pack.html"
    html.write_text("<p>pack</p>")
    browser = _fake_browser(tmp_path, "exec sleep 30")
    with pytest.raises(RuntimeError, match=r"did not finish printing within 0.5 s"):
        print_pdf(html, tmp_path / "pack.pdf", browser, timeout_s=0.5)
    assert not (tmp_path / "pack.pdf").exists()
