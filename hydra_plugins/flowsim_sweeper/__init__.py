"""flowsim's sweeper for Hydra (``hydra/sweeper=flowsim``, the default in flowsim's ``config.yaml``)."""
