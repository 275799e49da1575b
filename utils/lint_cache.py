"""A cache of `tutor lint`'s findings per file, so a second run over unchanged
lessons only reads and hashes them.

An entry is keyed by everything a file's findings depend on: the file's bytes and
the path it is shown as, the library around it (its vocabulary ids, course ids and
lesson refs, which is what a file's cross-references resolve against), and the
tutor's own code. Change any of them and the key changes: a changed lesson is
checked again, and so is every lesson whose references could read differently. A
stale finding can never be served. Entries are small JSON files written
atomically; a damaged or unreadable one is a miss.
"""

import hashlib
import json
import os
import tempfile
from pathlib import Path

from pockettutor import __version__


def cache_home(env=None):
    """$TUTOR_HOME/cache when TUTOR_HOME is set (a self-contained tutor), else the platform's cache folder."""
    env = os.environ if env is None else env
    if env.get("TUTOR_HOME"):
        return Path(env["TUTOR_HOME"]).expanduser() / "cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("pockettutor", appauthor=False))


def code_fingerprint():
    """The tutor's version and the bytes of every module that lint's findings come from."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    for module in sorted(package.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    return digest.hexdigest()


class LintCache:
    def __init__(self, folder=None):
        self.folder = Path(folder) if folder else cache_home() / "lint"
        self._code = code_fingerprint()
        self.hits = self.misses = 0

    def key(self, path, content, context_fingerprint):
        digest = hashlib.sha256()
        for part in (self._code, context_fingerprint, str(path)):
            digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(content)
        return digest.hexdigest()

    def _entry_path(self, key):
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key):
        try:
            entry = json.loads(self._entry_path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def put(self, key, entry):
        """Written whole or not at all (a temp file renamed over), without fsync: losing an
        entry in a crash only costs the next run a check."""
        path = self._entry_path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as handle:
                handle.write(json.dumps(entry, ensure_ascii=False))
            os.replace(handle.name, path)
        except OSError:
            pass  # a cache that cannot be written only costs speed
