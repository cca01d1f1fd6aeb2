"""``python -m flowsim`` is the ``flowsim`` command."""

from flowsim.cli.main import main

if __name__ == "__main__":
    main()
