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

# %% [markdown]
# # Explore a scenario
# Runs a small scenario in this process and shows its figures. Change `overrides` to explore.

# %% tags=["parameters"]
overrides = ["scenario=quick"]
replications = 3
output_dir = "outputs/explore"

# %%
import pandas as pd
from IPython.display import display

from flowsim.experiment.pipeline import run_scenario
from flowsim.measures.aggregate import census_fan, reasons_by_option, wait_distribution, weekly_utilisation
from flowsim.model.compose import load_config
from flowsim.reporting.board import figure_image
from flowsim.reporting.plots import fan_chart, reasons_stacked, wait_distribution_plot
from flowsim.reporting.summary import format_summary
from flowsim.reporting.utilisation_plot import utilisation_heatmap

run = run_scenario(load_config([*overrides, f"replications={replications}"]), output_dir, overrides,
                   progress=False)
print(format_summary(run.summary, run.units, run.scenario, len(run.replications)))

# %%
summary = run.summary.set_index("kpi")
display(summary.loc[["delayed_days_per_year", "nctr_census_mean", "cost_total"],
                    ["mean", "ci_low", "ci_high"]])
census = pd.read_parquet(run.files["census"])
display(figure_image(fan_chart({"this scenario": census_fan(census)})))
display(figure_image(reasons_stacked(reasons_by_option(run.replications, []))))
display(figure_image(utilisation_heatmap(weekly_utilisation(census, run.units))))
if "patients" in run.files:
    patients = pd.read_parquet(run.files["patients"])
    display(figure_image(wait_distribution_plot(wait_distribution(patients, run.scenario.warm_up_days))))
