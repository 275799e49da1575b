"""PocketTutor: a Socratic tutor for the terminal, built on PocketFlow."""

__version__ = "0.2.0"
