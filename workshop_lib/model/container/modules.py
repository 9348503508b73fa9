"""The modules of one model's code directory, as top-level modules, in a process that serves several models.

In the container the script and its sibling modules are top-level modules (``inference``, ``helpers``) with the code
directory on ``sys.path``, for the whole life of the worker: a module imported lazily inside ``predict_fn`` is found
there, and a pickle that names ``inference.MyClass`` loads. The local cloud serves every endpoint in one process, and
two models may both have an ``inference`` module. So a model's own modules live in ``sys.modules`` (and its code
directory on ``sys.path``) only while its code runs: ``ScriptModules.active()`` puts them there and takes them (with
any it imported meanwhile) out again. Calls into models' code therefore take one lock: one call at a time in the
process, as a container worker (gevent, and nothing to wait on in a prediction) runs one request at a time.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

_LOCK = threading.RLock()


def _top_level_names(code_dir: Path) -> set[str]:
    """The names a code directory provides: ``name.py`` files and package directories (with an __init__.py)."""
    names = {path.stem for path in code_dir.glob("*.py")}
    names |= {path.name for path in code_dir.iterdir() if path.is_dir() and (path / "__init__.py").is_file()}
    return {name for name in names if name.isidentifier()}


class ScriptModules:
    """One model's modules, in ``sys.modules`` only while ``active()``."""

    def __init__(self, code_dir: Path) -> None:
        self.code_dir = code_dir.resolve()
        self.names = _top_level_names(self.code_dir) if self.code_dir.is_dir() else set()
        self.packages = {name for name in self.names if (self.code_dir / name).is_dir()}
        self.own: dict[str, ModuleType] = {}

    def _from_here(self, module: ModuleType | None) -> bool:
        location = getattr(module, "__file__", None)
        return bool(location) and self.code_dir in Path(str(location)).resolve().parents

    def _touched(self) -> set[str]:
        names = self.names | set(self.own)
        if self.packages:  # submodules of the code directory's packages (a scan only when it has packages)
            names |= {name for name in list(sys.modules) if name.split(".", 1)[0] in self.packages}
        return names

    @contextmanager
    def active(self) -> Iterator[None]:
        """The model's modules importable and imported under their own names, for the duration of a call."""
        with _LOCK:
            saved = {name: sys.modules.get(name) for name in self._touched()}
            for name in self.names - set(self.own):
                sys.modules.pop(name, None)  # another model's or an installed module: not this model's
            sys.modules.update(self.own)
            path = str(self.code_dir)
            sys.path.insert(0, path)
            try:
                yield
            finally:
                sys.path.remove(path)
                for name in self._touched() | set(saved):
                    module = sys.modules.get(name)
                    if self._from_here(module):
                        self.own[name] = module  # type: ignore[assignment]
                    previous = saved.get(name)
                    if previous is None or self._from_here(previous):
                        sys.modules.pop(name, None)
                    else:
                        sys.modules[name] = previous
