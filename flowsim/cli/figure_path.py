"""A figure's path, checked when a command starts rather than when it saves, after all its runs.

matplotlib picks the file format from the extension and refuses one it does not know (``.pgn``) only
in ``savefig``; a path without an extension silently becomes ``PATH.png``. :func:`check_figure_path`
checks the extension against the formats matplotlib writes (without importing pyplot) and the folder,
and returns the path the figure will really have.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from flowsim.cli.output_path import check_output_file
from flowsim.model.errors import ConfigError

__all__ = ["DEFAULT_FORMAT", "check_figure_path", "figure_formats"]

# The extension given to a figure path that has none (matplotlib's own default, made explicit).
DEFAULT_FORMAT = "png"


def figure_formats() -> set[str]:
    """The extensions matplotlib can write here (``png``, ``svg``, ``pdf``, ...), lower case."""
    import matplotlib
    from matplotlib.backend_bases import FigureCanvasBase  # no pyplot, no GUI backend

    formats = {name.lower() for name in FigureCanvasBase.get_supported_filetypes()}
    # PGF measures its text with LaTeX: without one installed, savefig would fail after the runs
    if shutil.which(str(matplotlib.rcParams["pgf.texsystem"])) is None:
        formats.discard("pgf")
    return formats


def check_figure_path(path: str | Path, option: str) -> Path:
    """The path a figure will be written to, checked before any work.

    Parameters
    ----------
    path : str or Path
        The path a user gave; without an extension, ``.png`` is added (as matplotlib would).
    option : str
        The option that names it, e.g. ``--figure``.

    Returns
    -------
    Path
        The path to pass to ``savefig`` and to print.

    Raises
    ------
    ConfigError
        Naming ``option``: an extension matplotlib does not write, a folder that does not exist, or a
        path that cannot be written.
    """
    figure = Path(path)
    extension = figure.suffix[1:]
    if figure.is_dir():
        pass  # check_output_file says it is a folder
    elif not extension:
        figure = figure.with_name(f"{figure.name}.{DEFAULT_FORMAT}")
    elif extension.lower() not in figure_formats():
        raise ConfigError(option, f"{extension!r} is not a figure format matplotlib writes",
                          "end the path in .png, .svg or .pdf")
    return check_output_file(figure, option, f"figure.{DEFAULT_FORMAT}")
