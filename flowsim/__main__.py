"""``python -m flowsim`` is the ``flowsim`` command."""

from flowsim.cli.entry import flowsim

if __name__ == "__main__":
    flowsim()
