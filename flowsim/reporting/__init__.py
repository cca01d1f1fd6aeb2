"""Reporting: what people read. Printed summaries, figures, the run report and the board pack.

:mod:`~flowsim.reporting.summary` prints a run or a comparison (with the scenario's features in a
planner's words, :mod:`~flowsim.reporting.features`); :mod:`~flowsim.reporting.plots` draws the
charts; :mod:`~flowsim.reporting.report` writes them for a run or sweep folder (``flowsim-report``);
:mod:`~flowsim.reporting.board` executes the board-pack notebook into HTML (``flowsim-board``), which
recommends an option by a stated rule (:mod:`~flowsim.reporting.decision`), draws the modelled system
(:mod:`~flowsim.reporting.network`) and says which sweep it came from (:mod:`~flowsim.reporting.provenance`);
:mod:`~flowsim.reporting.pdf` styles for print and prints to PDF with a headless Chromium;
:mod:`~flowsim.reporting.warmup_plots` draws the warm-up diagnostics. A ``flowsim-size`` search
is read back by :mod:`~flowsim.reporting.sizing_summary` (printed) and
:mod:`~flowsim.reporting.sizing_plots` (the Pareto chart), and presented to a board by
:mod:`~flowsim.reporting.sizing_pack` (``flowsim-board --sizing``, once
:mod:`~flowsim.reporting.sizing_folder` has checked the folder).

Imports only from :mod:`flowsim.model`, :mod:`flowsim.measures` and :mod:`flowsim.experiment`.
"""

from flowsim.model.lazy import lazy_exports

_EXPORTS = {
    "format_comparison": "flowsim.reporting.summary",
    "format_summary": "flowsim.reporting.summary",
}

__all__ = ["format_comparison", "format_summary"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
