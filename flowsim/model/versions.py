"""The versions a run depends on: flowsim's and its main libraries', for manifests and ``--version``.

Read from the installed packages' metadata (the standard library only), so ``--version`` answers at
once, without importing what it names.
"""

from __future__ import annotations

import platform
from importlib import metadata

__all__ = ["PACKAGES", "package_versions", "version_line"]

PACKAGES = ("flowsim", "simpy", "numpy", "scipy", "pandas", "hydra-core")


def package_versions() -> dict[str, str | None]:
    """The installed version of each of :data:`PACKAGES` (None where one is not installed)."""
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def version_line() -> str:
    """What every flowsim command prints for ``--version``.

    Returns
    -------
    str
        e.g. ``flowsim 0.1.0 (Python 3.11.7; simpy 4.1.2, numpy 2.2.6, ..., hydra-core 1.3.8)``.
    """
    versions = package_versions()
    libraries = ", ".join(f"{name} {version or 'not installed'}" for name, version in versions.items()
                          if name != "flowsim")
    flowsim = versions["flowsim"] or "(not installed)"
    return f"flowsim {flowsim} (Python {platform.python_version()}; {libraries})"
