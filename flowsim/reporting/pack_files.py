"""Which files a board pack wrote, so ``flowsim-board`` replaces those and never a planner's own.

A pack is a page (``X.html``) and the files beside it: its executed notebook (``X.ipynb``), its PDF
(``X.pdf``) and a configuration (``X_config.yaml``, or ``X_recommended.yaml`` for a sizing pack).
The page ends with a record, an HTML comment, of the SHA-256 of each of those files and of the page
itself as written. Before a pack is written again under the same name:

* a page that is not a pack (no :data:`~flowsim.reporting.pdf.PACK_MARK` in its print styles), or a
  pack changed since it was written (notes added by hand), is the planner's, and is kept;
* a file beside it is replaced only if the record names it with the same contents: a file of the
  planner's under one of those names, a folder, a link, or a file a later step of the pack did not
  write is kept;
* a pack made with ``--no-pdf`` removes the PDF of the pack it replaces (recorded, unchanged), which
  would otherwise sit beside the new page with other numbers;
* with no page there, any file under those names is kept.

Keeping means stopping, in one line, before the notebook runs. A pack written before these records
existed is known by its mark alone; the files beside it then count as the planner's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from flowsim.model.errors import ConfigError
from flowsim.reporting.pdf import PACK_MARK

__all__ = ["check_not_others", "record_files", "recorded", "remove_earlier"]

# What the pack writes beside its page, by the file's suffix.
_COMPANIONS = {".ipynb": "executed notebook", ".pdf": "PDF", ".yaml": "configuration"}
_RECORD = "<!-- flowsim-board wrote: "


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _split(text: str) -> tuple[str, dict]:
    """The page as written, and its record (empty if it has none)."""
    at = text.rfind(_RECORD)
    if at < 0:
        return text, {}
    try:
        record = json.loads(text[at + len(_RECORD):].rsplit("-->", 1)[0])
    except ValueError:
        return text, {}
    return text[:at], record if isinstance(record, dict) else {}


def recorded(html: Path) -> dict[str, str]:
    """The files the pack at ``html`` recorded writing, name -> SHA-256 (none if it is not there)."""
    if not html.is_file():
        return {}
    files = _split(html.read_text(encoding="utf-8", errors="replace"))[1].get("files")
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def record_files(html: Path, files: Sequence[Path], earlier: Mapping[str, str] | None = None) -> None:
    """End the page ``html`` with the record of itself and of ``files`` (those of them that exist).

    Called once the notebook has written the page, its notebook and its configuration, and again
    once the PDF is printed (the record is replaced, not added to). ``earlier``: the record of the
    pack this one replaces (:func:`recorded`, read before the notebook wrote the page); a file of it
    that this pack did not write again (its PDF, under ``--no-pdf``) stays the pack's while it is
    unchanged, so the next pack with a PDF replaces it.
    """
    if not html.is_file():  # (the notebook writes it; only a stand-in for the notebook does not)
        return
    page, _ = _split(html.read_text(encoding="utf-8"))
    written = {f.name: _digest(f.read_bytes()) for f in files if f.is_file() and not f.is_symlink()}
    kept = {name: digest for name, digest in (earlier or {}).items()
            if name not in written and (html.parent / name).is_file()
            and _digest((html.parent / name).read_bytes()) == digest}
    record = {"page": _digest(page.encode("utf-8")), "files": kept | written}
    html.write_text(f"{page}{_RECORD}{json.dumps(record, sort_keys=True)} -->\n", encoding="utf-8")


def remove_earlier(path: Path, earlier: Mapping[str, str]) -> bool:
    """Delete ``path`` if the pack this one replaces wrote it and it is unchanged; say whether it did.

    A pack written with ``--no-pdf`` calls this for its PDF: the earlier pack's PDF beside the new page
    would show other numbers under the same name. A file of the planner's (not in ``earlier``, or
    changed since) is left alone.
    """
    if path.is_symlink() or not path.is_file() or earlier.get(path.name) != _digest(path.read_bytes()):
        return False
    path.unlink()
    return True


def check_not_others(html: Path, beside: Sequence[Path]) -> None:
    """Refuse to write the pack ``html`` if it would replace a file flowsim-board did not write there.

    Raises
    ------
    ConfigError
        Naming the file that is kept, with ``--output`` as the field.
    """
    if html.exists() or html.is_symlink():
        try:
            text = html.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            raise ConfigError("--output", f"{html} cannot be read ({error.strerror})",
                              "give another file name") from None
        page, record = _split(text)
        if PACK_MARK not in text:
            raise ConfigError("--output", f"{html} already exists and is not a board pack, so the pack would "
                              "replace it", f"give a new file name, or move {html.name} away")
        if record.get("page") not in (None, _digest(page.encode("utf-8"))):
            raise ConfigError("--output", f"{html} is a board pack changed since flowsim-board wrote it, so "
                              "the pack would replace the changes", f"give a new file name, or move "
                              f"{html.name} away")
        written = record.get("files") if isinstance(record.get("files"), dict) else {}
        for path in beside:
            if not (path.exists() or path.is_symlink()):
                continue
            ours = (path.is_file() and not path.is_symlink()
                    and written.get(path.name) == _digest(path.read_bytes()))
            if not ours:
                raise ConfigError("--output", f"{path} is not the {_COMPANIONS[path.suffix]} the pack at "
                                  f"{html.name} wrote, and the pack writes its {_COMPANIONS[path.suffix]} "
                                  "there", f"give another --output name, or move {path.name} away")
        return
    for path in beside:
        if path.exists() or path.is_symlink():  # a link, even to nothing: the pack would write through it
            raise ConfigError("--output", f"{path} already exists and the pack writes its "
                              f"{_COMPANIONS[path.suffix]} there (beside {html.name}, which does not exist)",
                              f"give another --output name, or move {path.name} away")
