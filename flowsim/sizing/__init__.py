"""Sizing: the cheapest mix of capacities that meets a target, found by simulation optimisation.

A sizing file (:mod:`~flowsim.sizing.spec`) names the capacities to size (whole numbers on a grid,
choices such as 7-day admission, dated winter surge blocks), the objective (a cost) and any targets.
The search (:mod:`~flowsim.sizing.search`) proposes mixes with Optuna's TPE sampler
(:mod:`~flowsim.sizing.explore`), runs every one on the same random numbers, polishes the best
among its grid neighbours, and picks the winner of a shortlist by ranking and selection
(:mod:`~flowsim.sizing.selection`). Every replication is kept on disk
(:mod:`~flowsim.sizing.evaluations`), so an interrupted search resumes with the same result.

Imports only from :mod:`flowsim.model`, :mod:`flowsim.measures`, :mod:`flowsim.experiment` and
:mod:`flowsim.calibration`.
"""
