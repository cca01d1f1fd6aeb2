"""Command-line entry points, the top layer: it may import from every other.

:mod:`~flowsim.cli.entry` holds the console scripts: each sets up its process, then imports and
runs its command. :mod:`~flowsim.cli.main` is ``flowsim`` (a Hydra app: one run, or a sweep with
``-m``) and ``flowsim-collect``; it has Hydra compose its configuration once, not twice
(:mod:`~flowsim.cli.compose_once`). :mod:`~flowsim.cli.callbacks` holds the Hydra callbacks that check
every job before a sweep starts (:mod:`~flowsim.cli.sweep_size` counts them first, and refuses a sweep
of too many; :mod:`~flowsim.cli.sweep_check` composes and checks them, in worker processes like the
launcher's own) and gather it at the end; :mod:`~flowsim.cli.warmup` is
``flowsim-warmup``. ``flowsim-report`` and ``flowsim-board`` live with what they draw, in
:mod:`flowsim.reporting`.
"""
