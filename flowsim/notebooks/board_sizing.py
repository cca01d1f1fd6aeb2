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
# Parameters (injected by `flowsim-board --sizing DIR`): a flowsim-size output folder, the pack's
# heading, and where to copy the recommended mix as a config to run (recommended.yaml), beside the page.
sizing_dir = "sizing/winter"
title = "Capacity sizing: the recommended mix"
config_file = None

# %%
import warnings
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

# tqdm.auto (progress bars of runs) warns in a kernel without ipywidgets: not for the board's page
warnings.filterwarnings("ignore", message="IProgress not found")

from flowsim.model.saved import read_saved, write_saved
from flowsim.reporting.board import figure_image
from flowsim.reporting.provenance import assumptions_table
from flowsim.reporting.sizing_folder import check_sizing
from flowsim.reporting.sizing_pack import (
    against_table,
    answer,
    evidence_table,
    method_text,
    mix_table,
    question,
    search_sentence,
    validation_sentence,
)
from flowsim.reporting.sizing_plots import pareto_figure

folder = Path(sizing_dir)
rec = check_sizing(folder)  # refuses missing or mismatched files, as flowsim-board did before running this
# the sized system, composed once: its assumptions below, and the copy beside the page
recommended = read_saved(folder / "recommended.yaml") if (folder / "recommended.yaml").is_file() else None
candidates = pd.read_csv(folder / "candidates.csv")

# %%
display(Markdown(f"# {title}"))
display(Markdown("\n\n".join([
    f"**Question:** {question(rec)}",
    answer(rec),
    validation_sentence(rec),
    f"*Built from the sizing search in the folder {folder.resolve().name} (search seed {rec['seed']}).*"])))

# %% [markdown]
# ## The recommended mix against today's

# %%
display(HTML(mix_table(rec).to_html(index=False)))
display(Markdown(
    "What the recommended mix changes, a year, against today's mix: today's minus the recommended, on the "
    "same simulated patients (*saved* and *fewer* favour the recommended mix, *more* favours today's), "
    "with the 95 % confidence interval of the average difference. The last column repeats the "
    "comparison on replications the search never saw." if rec.get("validation") else
    "What the recommended mix changes, a year, against today's mix: today's minus the recommended, on the "
    "same simulated patients (*saved* and *fewer* favour the recommended mix, *more* favours today's), "
    "with the 95 % confidence interval of the average difference."))
display(HTML(against_table(rec).to_html(index=False)))

# %% [markdown]
# ## Service cost against delayed days: every mix tried

# %%
display(figure_image(pareto_figure(folder / "candidates.csv", folder / "recommendation.json")))
display(Markdown(
    "Each grey point is a mix the search simulated"
    + (" (a cross: it misses a target on average)" if rec["constraints"] else "")
    + ", placed by its service cost a year and its delayed days a year: means over the "
    f"{int(candidates['replications'].min())} replications every mix was simulated on, the same patients "
    "for each (the shortlisted mixes' further replications are in the table below). The "
    "blue line joins the mixes that no other mix beats on both at once (the Pareto front): along it, more "
    "spending on services buys fewer delayed days. The red star is the recommended mix"
    + (", the black square today's." if candidates["today"].astype(bool).any() else
       "; today's mix was outside the range searched, so it is not drawn.")))

# %% [markdown]
# ## The evidence: the shortlisted mixes

# %%
display(Markdown(search_sentence(rec)))
evidence = evidence_table(candidates, rec)
# one column per mix, one row per fact: seven decisions and their results fit across an A4 page
evidence.index = [f"mix {i}" for i in range(1, len(evidence) + 1)]
display(HTML(evidence.T.to_html()))
display(Markdown(
    "Each shortlisted mix (a column, best first) with the replications it was simulated on, its averages "
    "over all of them and the 95 % "
    "confidence interval of the average. *Ruled out* means the ranking and selection showed it to be "
    "worse than another mix; *not ruled out* means it stayed too close to the recommended mix to tell "
    "apart within the replications allowed, and its average is not below the recommended mix's."))

# %% [markdown]
# ## What the simulated system assumes

# %%
if recommended is not None:
    display(Markdown("The system every mix was simulated in, shown with the recommended mix's places; "
                     "each mix tried differs only in the places the search varied. Each unit's row says "
                     "what changes its places over the year (seasonal factors, dated steps, closures)."))
    display(HTML(assumptions_table(recommended).to_html(index=False)))
else:
    display(Markdown("*Not shown: the folder has no recommended.yaml, the system the search simulated.*"))

# %% [markdown]
# ## How this was found

# %%
display(Markdown(method_text(rec)))

# %% [markdown]
# ## Where these numbers came from

# %%
lines = [f"Every number on this page is read from recommendation.json and candidates.csv, written by "
         f"flowsim-size in the folder {folder.resolve().name}; each replication it ran is in "
         "evaluations.parquet beside them."]
if config_file and recommended is not None:
    written = Path(config_file)  # the same config under its own name, which its header's command names
    write_saved(recommended, written,
                f"the mix flowsim-size recommends ({rec['recommended_label']})", by="flowsim-size")
    lines.append(f"The recommended mix as a configuration to run with flowsim is in "
                 f"[{written.name}]({written.name}), beside this page.")
display(Markdown(" ".join(lines)))
