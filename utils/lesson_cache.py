"""Parsed lessons kept between runs, as Python keeps a module's bytecode: a session
reads a lesson file's validated models back instead of parsing its YAML and
validating it again.

An entry is keyed by everything its models depend on: the file's bytes and path,
the model it was read as, the tutor's own code, and the Python and pydantic that
pickled it. Each file has one entry, named after its path and model, which records
the key it was made for: a changed lesson has another key, is parsed again and
overwrites its entry, so a stale lesson can never be served and the folder never
holds more entries than there are lesson files.

An entry is a pickle, and loading a pickle can run code, so one is loaded only
  * from a folder the user owns and no one else may write in (it is created 0700),
  * when it records the key asked for and its payload matches the hash it records
    (a damaged or truncated entry is a miss), and
  * naming no class but the pydantic models of the module the lesson format lives in.
Anything else is a miss, and a cache that cannot be written only costs speed.
"""

import hashlib
import io
import os
import pickle
import sys
import tempfile
from contextlib import suppress
from pathlib import Path

from pydantic import BaseModel
from pydantic.version import VERSION as PYDANTIC_VERSION

from pockettutor.utils.lint_cache import cache_home, code_fingerprint

MAGIC = b"pockettutor lesson cache 1\n"


class LessonCache:
    def __init__(self, folder=None):
        self.folder = Path(folder) if folder else cache_home() / "lessons"
        self._code = None  # the code fingerprint, worked out on first use
        self._private = None  # whether the folder is the user's alone, checked on first use
        self.hits = self.misses = 0

    def key(self, model, path, content):
        if self._code is None:
            self._code = "\0".join((code_fingerprint(), sys.version, PYDANTIC_VERSION))
        digest = hashlib.sha256()
        for part in (self._code, model.__module__, model.__qualname__, str(path)):
            digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(content)
        return digest.hexdigest()

    def _entry_path(self, model, path):
        where = f"{model.__module__}.{model.__qualname__}\0{os.path.abspath(path)}"
        return self.folder / f"{hashlib.sha256(where.encode('utf-8', 'surrogateescape')).hexdigest()}.pickle"

    def _folder_is_private(self):
        if self._private is None:
            self._private = _private(self.folder)
        return self._private

    def get(self, model, path, key):
        """The `model` read from `path` whose key is `key`, or None."""
        value = self._load(model, path, key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    def _load(self, model, path, key):
        try:
            if not self._folder_is_private():
                return None
            data = self._entry_path(model, path).read_bytes()
        except OSError:
            return None
        header = MAGIC + key.encode("ascii") + b"\n"
        digest, payload = data[len(header) : len(header) + 32], data[len(header) + 32 :]
        if not data.startswith(header) or hashlib.sha256(payload).digest() != digest:
            return None
        try:
            value = _ModelUnpickler(io.BytesIO(payload), model.__module__).load()
        except Exception:  # whatever an entry holds, it is only ever a miss
            return None
        return value if type(value) is model else None

    def put(self, model, path, key, value):
        """Written whole or not at all (a temp file renamed over), without fsync: a lost
        entry only costs the next run a parse."""
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        entry = MAGIC + key.encode("ascii") + b"\n" + hashlib.sha256(payload).digest() + payload
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self._folder_is_private():
                return
            handle, temp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        except OSError:
            return  # a cache that cannot be written only costs speed
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(entry)
            os.replace(temp, self._entry_path(model, path))
        except OSError:
            with suppress(OSError):
                os.unlink(temp)


def _private(folder):
    """Whether `folder` belongs to this user and no one else may write in it. Windows has
    no such modes: there the cache folder is in the user's own profile."""
    if not hasattr(os, "getuid"):
        return True
    try:
        info = folder.stat()
    except OSError:
        return None  # not there yet: asked again once it is made
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


class _ModelUnpickler(pickle.Unpickler):
    """Names no class but the pydantic models of one module: an entry cannot make pickle
    import or call anything else."""

    def __init__(self, file, module):
        super().__init__(file)
        self._module = module

    def find_class(self, module, name):
        found = getattr(sys.modules.get(module), name, None) if module == self._module else None
        if not (isinstance(found, type) and issubclass(found, BaseModel)):
            raise pickle.UnpicklingError(f"{module}.{name} is not a lesson model")
        return found
