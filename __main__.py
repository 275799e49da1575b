"""`python -m pockettutor`: the same as the `tutor` command."""

from pockettutor.main import entry_point

entry_point()
