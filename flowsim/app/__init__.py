"""The planner's web app (``flowsim-app``): the top layer, over the command line.

A planner picks a starting system, edits it in forms, runs it and compares options in a browser. The
app computes nothing itself: it composes configs as the CLI does (:mod:`flowsim.app.sources`),
checks them with the CLI's validation (:mod:`flowsim.app.fields`), runs them as ``flowsim``
commands in the session's own folder (:mod:`flowsim.app.jobs`) and shows the pipeline's tables and
charts (:mod:`flowsim.app.results`). The Streamlit pages are the ``page*`` modules.
"""
