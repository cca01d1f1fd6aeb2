"""flowsim's launcher for Hydra (``hydra/launcher=flowsim``, the default in flowsim's ``config.yaml``)."""
