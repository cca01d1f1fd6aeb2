"""Calibration: model parameters from a planner's own data and from observed aggregates.

``fit`` reads a patient-level extract (one row per NCTR episode) and estimates arrival rates with
their weekly and seasonal profiles, pathway and outcome shares, readmission probabilities and each
unit's length-of-stay distribution (maximum likelihood with right-censoring, ranked by AIC), and
writes a ready system config. ``targets`` fits the parameters that data rarely shows (capacity
headroom, arrangement and admin delays, housing barrier rates) so that simulated SitRep-style
aggregates (midnight NCTR census, same-day share, delay-reason mix, winter rise) match observed ones.

Imports only from :mod:`flowsim.model`, :mod:`flowsim.measures` and :mod:`flowsim.experiment`.
"""
