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
# Parameters (injected by `flowsim-board` / `make report`): a sweep directory and its baseline job.
sweep_dir = "multirun/care_home_units"
baseline_job = None
title = "Delayed days avoided and net saving by option"

# %%
import json
import warnings
from pathlib import Path

import pandas as pd
import yaml
from IPython.display import HTML, Markdown, display

# tqdm.auto (progress bars of runs) warns in a kernel without ipywidgets: not for the board's page
warnings.filterwarnings("ignore", message="IProgress not found")

from flowsim.experiment.compare import compare_to_baseline, select_baseline
from flowsim.experiment.sweep import collect_sweep
from flowsim.measures.aggregate import census_fan, reasons_by_option, weekly_utilisation
from flowsim.reporting.board import figure_image
from flowsim.reporting.plots import (
    avoided_vs_option,
    cost_vs_saving,
    fan_chart,
    marginal_benefit,
    reasons_stacked,
    utilisation_heatmap,
)

tables = collect_sweep(sweep_dir, write=False)
comparison = compare_to_baseline(tables, select_baseline(tables) if baseline_job is None else baseline_job)
swept = list(tables.swept)
options = comparison[comparison["job"] != comparison["baseline_job"]]
ranked = options.sort_values("net_saving_per_year", ascending=False)
best, best_job = ranked.iloc[0], ranked["job"].iloc[0]  # the column keeps the job id's type
label = ", ".join(f"{k} = {ranked[k].iloc[0]}" for k in swept) or f"job {best_job}"
baseline_rows = comparison[comparison["job"] == comparison["baseline_job"]]
base, base_job = baseline_rows.iloc[0], baseline_rows["job"].iloc[0]
base_label = ", ".join(f"{k} = {baseline_rows[k].iloc[0]}" for k in swept) or f"job {base_job}"

# %%
display(Markdown(f"# {title}"))
display(Markdown(
    f"**Recommended option: {label}** (largest net saving against the baseline, {base_label}).\n\n"
    f"- Delayed days avoided per year: **{best['delayed_days_avoided_per_year']:,.0f}** "
    f"(95 % CI {best['delayed_days_avoided_per_year_ci_low']:,.0f} to "
    f"{best['delayed_days_avoided_per_year_ci_high']:,.0f})\n"
    f"- Net saving per year: **GBP {best['net_saving_per_year']:,.0f}** "
    f"(95 % CI {best['net_saving_per_year_ci_low']:,.0f} to {best['net_saving_per_year_ci_high']:,.0f})\n"
    f"- Return per GBP 1 spent: **{best['return_per_pound']:.2f}**\n\n"
    f"Paired over {int(best['pairs'])} replications with common random numbers; one simulated year "
    f"after warm-up per replication."))

# %% [markdown]
# ## Delayed days avoided and net saving

# %%
numeric = 1 <= len(swept) <= 2 and pd.api.types.is_numeric_dtype(comparison[swept[-1]])
group = swept[0] if len(swept) == 2 else None
if numeric:
    display(figure_image(avoided_vs_option(comparison, swept[-1], group)))
    if (comparison["added_capacity"] != 0).any():
        display(figure_image(marginal_benefit(comparison, swept[-1], group)))
if swept:
    display(figure_image(cost_vs_saving(comparison, swept)))

# %% [markdown]
# ## The NCTR census over the year: baseline and recommended option

# %%
base_dir, best_dir = Path(sweep_dir) / str(base_job), Path(sweep_dir) / str(best_job)
fans = {f"baseline ({base_label})": census_fan(pd.read_parquet(base_dir / "census.parquet")),
        f"recommended ({label})": census_fan(pd.read_parquet(best_dir / "census.parquet"))}
display(figure_image(fan_chart(fans)))

# %% [markdown]
# ## Why patients wait, by option

# %%
display(figure_image(reasons_stacked(reasons_by_option(tables.results, swept))))

# %% [markdown]
# ## Unit utilisation by week under the recommended option

# %%
display(figure_image(utilisation_heatmap(weekly_utilisation(pd.read_parquet(best_dir / "census.parquet"),
                                                            pd.read_parquet(best_dir / "units.parquet")))))

# %% [markdown]
# ## Options

# %%
columns = {
    **{k: k.split(".")[-2] if k.count(".") >= 1 else k for k in swept},
    "delayed_days_avoided_per_year": "delayed days avoided / yr",
    "delayed_days_avoided_per_year_half_width": "± (95 % CI)",
    "added_cost_per_year": "added cost / yr (GBP)",
    "net_saving_per_year": "net saving / yr (GBP)",
    "return_per_pound": "return per GBP 1",
}
table = comparison[list(columns)].rename(columns=columns)
# the baseline's return per GBP 1 is undefined (nothing added): a dash, not "NaN"
display(HTML(table.to_html(index=False, na_rep="–",
                           float_format=lambda v: f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2f}")))

# %% [markdown]
# ## Assumptions and the configuration used

# %%
job_dir = base_dir  # a job of this sweep (the folder may hold left-out jobs of an earlier one)
manifest = json.loads((job_dir / "manifest.json").read_text())
config = manifest["config"]
facts = {
    "NCTR arrivals per day (base rate)": config["arrivals"]["rate_per_day"],
    "pathway shares P0/P1/P2/P3": "/".join(str(config["pathways"]["shares"].get(p, 0))
                                           for p in ("P0", "P1", "P2", "P3")),
    "acute delayed bed-day cost (GBP)": config["costs"]["acute_bed_day"],
    "replications per option": int(best["pairs"]),
    "warm-up / horizon (days)": f"{config['run']['warm_up_days']} / {config['run']['horizon_days']}",
    "seed": manifest["seed"],
    "flowsim git SHA": manifest.get("git_sha") or "unknown",
}
display(HTML(pd.DataFrame({"assumption": list(facts), "value": [str(v) for v in facts.values()]})
             .to_html(index=False)))
display(Markdown("Sources of every default are in `configs/system/default.yaml`. The configuration of the "
                 "baseline job follows."))
display(Markdown("```yaml\n" + yaml.safe_dump(config, sort_keys=False) + "```"))
