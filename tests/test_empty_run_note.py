"""A note for a run that counts no delayed day because no patient became discharge ready while it was
observed (flowsim.cli.main._empty_run_note): a summary of zeros does not say why by itself."""

from __future__ import annotations

import pytest

from flowsim.cli.main import _empty_run_note
from flowsim.measures.kpi_table import ReplicationKpis
from tests.test_bad_input import run_in_process
from tests.test_glossary import GLOSSARY, printed_problems

NOTE = "note: no patient became discharge ready (NCTR) in the observed window of any replication"


def _kpis(*rows: tuple[float, float]) -> ReplicationKpis:
    return ReplicationKpis.of((r, {"nctr_episodes": n, "delayed_days_total": days})
                              for r, (n, days) in enumerate(rows))


def test_a_run_without_a_patient_is_named():
    assert _empty_run_note(_kpis((0.0, 0.0), (0.0, 0.0))).startswith(NOTE.removeprefix("note: "))
    assert "arrivals.rate_per_day" in _empty_run_note(_kpis((0.0, 0.0)))


@pytest.mark.parametrize("rows", [((0.0, 0.0), (1.0, 0.5)),  # a patient in one replication
                                  ((0.0, 3.0),)])  # census patients' delays, no new one
def test_a_run_with_a_patient_or_a_delay_is_not(rows):
    assert _empty_run_note(_kpis(*rows)) is None
    assert _empty_run_note(ReplicationKpis.of([(0, {"delay_n": 0.0})])) is None  # not a run's table


@pytest.mark.parametrize(("rate", "notes"), [("0", 1), ("5", 0)])
def test_the_run_says_so_and_goes_on(tmp_path, capsys, monkeypatch, rate, notes):
    out = tmp_path / "run"
    args = ["scenario=quick", f"arrivals.rate_per_day={rate}", "run.warm_up_days=10", "run.horizon_days=40",
            "outputs.summary=false", "outputs.patients=false", f"hydra.run.dir={out}"]
    code, _, stderr = run_in_process(args, capsys, monkeypatch)
    assert code == 0 and (out / "metrics.json").exists()
    noted = [line for line in stderr.splitlines() if NOTE in line]
    assert len(noted) == notes
    assert printed_problems("\n".join(noted), GLOSSARY.read_text(encoding="utf-8"))[0] == []  # a row
