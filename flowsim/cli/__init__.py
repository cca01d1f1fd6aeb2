"""Command-line entry points, the top layer: it may import from every other.

:mod:`~flowsim.cli.main` is ``flowsim`` (a Hydra app: one run, or a sweep with ``-m``) and
``flowsim-collect``; :mod:`~flowsim.cli.callbacks` holds the Hydra callbacks that check every job
before a sweep starts (:mod:`~flowsim.cli.sweep_check` composes and checks them, in the joblib
launcher's own workers) and gather it at the end; :mod:`~flowsim.cli.warmup` is ``flowsim-warmup``.
``flowsim-report`` and ``flowsim-board`` live with what they draw, in :mod:`flowsim.reporting`.
"""
