"""Package attributes imported on first use (PEP 562), so importing one part of flowsim does not
import every other: a worker process that only runs replications skips comparison, sweeps and Hydra's
composition, and ``import flowsim`` stays cheap."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module


def lazy_exports(package: str, exports: Mapping[str, str]
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__`` for ``exports`` (attribute name -> module name)."""

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(module), name)

    def __dir__() -> list[str]:
        return sorted([*vars(import_module(package)), *exports])

    return __getattr__, __dir__
