class MissingData(Exception):
    """A benchmark's data is not where it is looked for (it lives outside the checkout)."""
