# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
# Parameters (injected by `flowsim-board` / `make report`): a sweep directory and its baseline job,
# the decision rule (flowsim.reporting.decision.RULES) and, for cheapest_meeting_target, its target
# ("KPI<=VALUE" or "KPI>=VALUE"), and where to write the baseline job's full configuration.
sweep_dir = "multirun/care_home_units"
baseline_job = None
title = "Delayed days avoided and net saving by option"
rule = "within_ci_of_best"
target = None
config_file = None

# %%
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

# tqdm.auto (progress bars of runs) warns in a kernel without ipywidgets: not for the board's page
warnings.filterwarnings("ignore", message="IProgress not found")

from flowsim.experiment.compare import compare_to_baseline, select_baseline
from flowsim.experiment.result_files import job_fix, read_census, read_json, read_parquet
from flowsim.experiment.sweep import collect_sweep
from flowsim.measures.aggregate import (
    census_fan,
    marginal_benefit_steps,
    parameter_label,
    reasons_by_option,
    weekly_utilisation,
)
from flowsim.model.cost_basis import acute_bed_day_basis, bed_day_bases
from flowsim.reporting.board import figure_image
from flowsim.reporting.decision import (
    PERCENTILE_REPLICATIONS,
    check_rule,
    decide,
    kpi_levels,
    option_text,
    returns_sentence,
    yearly_spread,
)
from flowsim.reporting.network import network_diagram
from flowsim.reporting.plots import (
    avoided_vs_option,
    cost_vs_saving,
    fan_chart,
    marginal_benefit,
    reasons_stacked,
)
from flowsim.reporting.provenance import assumptions_table, run_length_text, sweep_provenance, write_config
from flowsim.reporting.utilisation_plot import utilisation_heatmap

tables = collect_sweep(sweep_dir, write=False)
comparison = compare_to_baseline(tables, select_baseline(tables) if baseline_job is None else baseline_job)
swept = list(tables.swept)
parsed_target = check_rule(rule, target, list(tables.summary["kpi"].unique()))
levels = kpi_levels(tables.summary, parsed_target.kpi) if parsed_target else None
decision = decide(comparison, rule, parsed_target, levels, swept)
rows = comparison.astype(object)  # one row keeps each column's type (job 3, not 3.0)
base = rows[rows["job"] == rows["baseline_job"]].iloc[0]
base_job, base_label = base["job"], option_text(base, swept)
# the option the page describes: the recommendation, else (no option meets the target, or the
# recommendation is to keep the baseline) the option with the largest mean net saving
recommended = decision.chosen is not None and not decision.is_baseline
focus = decision.chosen if recommended else decision.best
focus_job, focus_label = focus["job"], option_text(focus, swept)
focus_name = ("recommended option" if recommended else "price with the largest mean net saving"
              if decision.valuations else "option with the largest mean net saving")
base_dir, focus_dir = Path(sweep_dir) / str(base_job), Path(sweep_dir) / str(focus_job)
config = read_json(base_dir / "manifest.json", job_fix(base_dir))["config"]
replications = int(focus["pairs"])
run_length = run_length_text(tables.observed_days, config["run"]["warm_up_days"])
provenance = sweep_provenance(sweep_dir, list(comparison["job"]))
# every file the page draws is read here, before anything is written: a damaged one stops the pack
# with a ConfigError naming it (flowsim-board prints its one line), not half a page and its config file.
# A job made with outputs.census=false has no census (None): its census figures give way to a note.
base_census = read_census(base_dir, job_fix(base_dir))
focus_census = read_census(focus_dir, job_fix(focus_dir)) if focus_dir != base_dir else base_census
focus_units = read_parquet(focus_dir / "units.parquet", job_fix(focus_dir))


def no_census(jobs: list) -> Markdown:
    """The note shown instead of a census figure of ``jobs`` made with ``outputs.census=false``."""
    names = " and ".join(f"job {job}" for job in dict.fromkeys(jobs))
    return Markdown(f"*Not shown: {names} {'were' if len(set(jobs)) > 1 else 'was'} made without a census "
                    "(`outputs.census=false`), so there is no daily census to draw. Rerun the sweep with "
                    "`outputs.census=true` to see it.*")


def gbp(value: float) -> str:
    return f"GBP {value:,.0f}" if value >= 0 else f"-GBP {-value:,.0f}"


def interval(row: pd.Series, kpi: str, money: bool = False) -> str | None:
    """The 95 % CI of ``kpi`` in a comparison row as ``low to high``; None when there is none (one
    replication gives NaN)."""
    low, high = row[f"{kpi}_ci_low"], row[f"{kpi}_ci_high"]
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    return f"{gbp(low)} to {gbp(high)}" if money else f"{low:,.0f} to {high:,.0f}"


NO_INTERVAL = "one replication gives no confidence interval"


# %%
display(Markdown(f"# {title}"))
if decision.valuations:
    headline = "**No option to recommend: this sweep values one system at several prices.**"
elif decision.chosen is None:
    headline = f"**No option meets the target ({decision.target}).**"
elif decision.is_baseline:
    headline = f"**Recommendation: keep the baseline, {base_label}.**"
else:
    headline = f"**Recommendation: {focus_label}** (against the baseline, {base_label})."
lines = [headline, "", decision.sentence, ""]
if tables.incomplete:  # a sweep cut short: the pack compares only the options that finished
    lines += [f"**Not every option of this sweep is here.** Job(s) {', '.join(tables.incomplete)} have not "
              "finished, so this page compares only the options that did. Rerun the sweep's command to "
              "finish them (finished jobs are kept), then make this pack again.", ""]
# the baseline kept because the best option may not pay for itself (not because it meets a target)
unproven = decision.best["net_saving_per_year_ci_low"] < 0
if decision.is_baseline and decision.best["job"] != base_job and unproven:
    floor = gbp(decision.best["net_saving_per_year_ci_low"])
    lines += [f"The best option's net saving could be as low as {floor} a year (95 % CI): this sweep cannot "
              "show that any option pays for itself. More replications would narrow the intervals.", ""]
years = ("95 of 100 simulated years" if round(tables.observed_days) == 365 else
         f"95 of 100 simulated {tables.observed_days:,.0f}-day runs, scaled to a year")
# how yearly_spread made the range: percentiles of many replications, else a prediction interval
if replications >= PERCENTILE_REPLICATIONS:
    spread = f"the 2.5th to 97.5th percentiles of the {replications} paired replications"
elif replications >= 2:
    spread = (f"a 95 % prediction interval for one more year from the {replications} paired replications, "
              "assuming years vary about normally; with so few, a rough range")
else:
    spread = (f"the 2.5th to 97.5th percentiles of the {replications} paired replications; with so few, a "
              "rough range")
if focus["job"] != base_job:
    low, high = yearly_spread(tables.results, base_job, focus_job, tables.observed_days)
    ratio = focus["return_per_pound"]
    days_ci = interval(focus, "delayed_days_avoided_per_year")
    saving_ci = interval(focus, "net_saving_per_year", money=True)
    avoided, added_cost = focus["delayed_days_avoided_per_year"], focus["added_cost_per_year"]
    lines += [
        f"What the {focus_name}, {focus_label}, buys against the baseline, per year:", "",
        f"- Delayed days avoided: **{avoided:,.0f}** on average"
        f"{f', that is {-avoided:,.0f} more delayed days than the baseline' if round(avoided) < 0 else ''} "
        f"({f'95 % confidence interval of the average: {days_ci}' if days_ci else NO_INTERVAL}).",
        f"- Year to year: between **{low:,.0f} and {high:,.0f}** delayed days avoided in {years} "
        f"({spread}).",
        f"- Net saving: **{gbp(focus['net_saving_per_year'])}** "
        f"({f'95 % CI {saving_ci}' if saving_ci else NO_INTERVAL}); "
        + (f"added cost {gbp(added_cost)}." if added_cost >= 0 else
           f"services cost {gbp(-added_cost)} less than the baseline's."),
        f"- Return per GBP 1 spent: **{ratio:.2f}**." if np.isfinite(ratio) else
        "- Return per GBP 1 spent: not applicable ("
        + ("no added cost)." if added_cost >= 0 else "it spends less than the baseline)."), ""]
numeric = 1 <= len(swept) <= 2 and pd.api.types.is_numeric_dtype(comparison[swept[-1]])
if len(swept) == 1 and numeric and (comparison["added_capacity"] != 0).any():
    adding = comparison[(comparison["job"] != base_job) & (comparison["added_capacity"] > 0)]
    lines += [returns_sentence(marginal_benefit_steps(comparison, swept[0]), swept[0],
                               net_savings=adding["net_saving_per_year"]), ""]
lines += [
    f"Each option was simulated {replications} times (replications: each {run_length}), with the "
    "same patients arriving in every option's replication *r* (common random numbers), and compared "
    "replication by replication. These are averages for a simulated system with the assumptions below, "
    "not a forecast of any one year; the acute saving is hospital capacity freed, not cash.", "",
    f"*{provenance.sentence()}*"]
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## What was modelled

# %%
tried = {k: sorted(comparison[k].unique().tolist()) for k in swept if k.startswith("services.")}
display(figure_image(network_diagram(config, tried)))
bases = bed_day_bases(config["costs"])
basis = acute_bed_day_basis(config["costs"], bases)
acute = basis.per_day_gbp
other_bases = "; ".join(f"{b.name} ({gbp(b.per_day_gbp)} a day: {b.source}) "
                        f"{gbp(focus['delayed_days_avoided_per_year'] * b.per_day_gbp)}"
                        for b in bases if b.name != basis.name)
display(Markdown(
    "**What the numbers mean.** A *delayed day* is a day a patient who no longer needs acute care (NCTR) "
    "spends in an acute bed, waiting for a simple discharge (P0), care at home (P1), a short-term bed "
    "(P2), a care-home placement (P3) or a housing fix. *Delayed days avoided* are the baseline's "
    "delayed days minus the option's, in the same simulated years. *Net saving* is the delayed days "
    f"avoided valued at {gbp(acute)} a bed-day (cost basis `{basis.name}`: {basis.source}), minus the "
    "added cost of the services. A *95 % confidence "
    "interval* is the range the average effect lies in, given the replications run; it narrows as "
    "replications are added, while the spread of single years does not.\n\n"
    "**What is counted, and what is not.**\n\n"
    f"- Counted: acute delayed bed-days, at {gbp(acute)} each. This is an opportunity cost: a freed bed "
    "is used by the next patient. It is not cash released unless beds or staff are actually taken out.\n"
    + (f"- On the other cost bases listed in the configuration, the {focus_name}'s delayed days avoided "
       f"would be worth, a year: {other_bases}.\n" if other_bases and focus_job != base_job else "") +
    "- Counted: the cost of the modelled services: block contracts and occupied days of the units, "
    "housing coordinators and step-down flats where configured.\n"
    "- Not counted: primary care and community health services outside the units; social care beyond "
    "the units (long-term care-home fees after P3, home care after reablement ends); the clinical part of "
    "hospital stays, including readmissions; patients' outcomes such as deconditioning while they wait; "
    "whether the staff for the extra places can be found."))
display(Markdown("**Key assumptions** (the baseline job's configuration):"))
display(HTML(assumptions_table(config, replications).to_html(index=False)))
if config_file:
    written = write_config(config, config_file, header=(
        f"Full configuration of job {base_job} (the baseline, {base_label}) of the sweep in "
        f"{sweep_dir}\n"
        f"run identity {provenance.jobs.set_index('job').loc[base_job, 'identity']}"))
    display(Markdown(f"The full configuration of the baseline job is in "
                     f"[{written.name}]({written.name}), beside this page."))
else:
    display(Markdown(f"The full configuration of the baseline job is in "
                     f"`{Path(sweep_dir) / str(base_job) / 'manifest.json'}`."))

# %% [markdown]
# ## Delayed days avoided and net saving

# %%
group = swept[0] if len(swept) == 2 else None
if numeric:
    display(figure_image(avoided_vs_option(comparison, swept[-1], group)))
    if (comparison["added_capacity"] != 0).any():
        display(figure_image(marginal_benefit(comparison, swept[-1], group)))
if swept:
    display(figure_image(cost_vs_saving(comparison, swept)))

# %%
# the option these two sections show: the recommendation, else the largest mean net saving (said so)
display(Markdown(f"## The NCTR census day by day: baseline and {focus_name}"))


def legend_text(row: pd.Series) -> str:
    """``care_home_unit = 20``: the unit and value, short enough for a legend."""
    return ", ".join(f"{parameter_label(k)} = {row[k]}" for k in swept) or \
        f"job {row['job']}"


short = "recommended" if recommended else "largest mean net saving"
named = {f"baseline ({legend_text(base)})": base_census,
         **({f"{short} ({legend_text(focus)})": focus_census} if focus_job != base_job else {})}
fans = {name: census_fan(census) for name, census in named.items() if census is not None}
if fans:
    display(figure_image(fan_chart(fans)))
missing = [job for job, census in ((base_job, base_census), (focus_job, focus_census)) if census is None]
if missing:
    display(no_census(missing))

# %% [markdown]
# ## Why patients wait, by option

# %%
display(figure_image(reasons_stacked(reasons_by_option(tables.results, swept))))

# %%
display(Markdown(f"## Unit utilisation by week under the {focus_name}"))
if focus_census is None:
    display(no_census([focus_job]))
else:
    display(figure_image(utilisation_heatmap(weekly_utilisation(focus_census, focus_units))))

# %% [markdown]
# ## Options

# %%
def cell(row: pd.Series, column: str, money: bool = False) -> str:
    """A table cell: the baseline row says "baseline" / "—", not NaN or 0.00."""
    value = row[column]
    if row["job"] == row["baseline_job"]:
        return "baseline" if column == "delayed_days_avoided_per_year" else "—"
    if not np.isfinite(value):
        return "—"
    return no_break(gbp(value)) if money else (f"{value:,.0f}" if abs(value) >= 10 else f"{value:.2f}")


def no_break(text: str) -> str:
    """``-GBP 60,455`` kept on one line in a narrow cell (a sign split from its number is misread)."""
    return text.replace("GBP ", "GBP\u00a0")


table = pd.DataFrame({
    **{parameter_label(k): rows[k] for k in swept},
    "delayed days avoided / yr": [cell(r, "delayed_days_avoided_per_year") for _, r in rows.iterrows()],
    "± (95 % CI)": [cell(r, "delayed_days_avoided_per_year_half_width") for _, r in rows.iterrows()],
    "added cost / yr": [cell(r, "added_cost_per_year", True) for _, r in rows.iterrows()],
    "net saving / yr": [cell(r, "net_saving_per_year", True) for _, r in rows.iterrows()],
    "net saving 95 % CI": ["—" if r["job"] == r["baseline_job"] else
                           no_break(interval(r, "net_saving_per_year", money=True) or "—")
                           for _, r in rows.iterrows()],
    "return per GBP 1": [cell(r, "return_per_pound") for _, r in rows.iterrows()],
    "note": ["recommended" if decision.chosen is not None and r["job"] == decision.chosen["job"] else
         "largest mean net saving" if r["job"] == decision.best["job"] else ""
         for _, r in rows.iterrows()],
})
display(HTML(table.to_html(index=False)))

# %% [markdown]
# ## Where these numbers came from

# %%
jobs = provenance.jobs.assign(option=[option_text(r, swept) for _, r in rows.iterrows()])
display(Markdown(
    f"{provenance.sentence()} The sweep identity is the SHA-256 over the jobs' run identities "
    f"(`{provenance.digest}`). A job's run identity covers its configuration, input files, seed and "
    "flowsim's code: rerunning the sweep after any of them changed gives new identities, and the pack "
    "shows which it was built from. "
    + (f"Results gathered from these jobs: `results.parquet` SHA-256 `{provenance.collected_sha256}`."
       if provenance.collected_sha256 else "The jobs were gathered for this page (no collected.json).")))
# columns 5 and 7 (identity, git SHA) wrap in a narrow page: flowsim.reporting.pdf.PRINT_CSS
display(HTML(jobs[["job", "option", "written", "replications", "identity", "flowsim_version", "git_sha"]]
             .rename(columns={"written": "results written (UTC)", "identity": "run identity",
                              "flowsim_version": "flowsim", "git_sha": "git SHA"})
             .to_html(index=False, classes="flowsim-wrap")))
