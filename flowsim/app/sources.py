"""Where a planner's scenario starts: the default system, a shipped scenario, their own system, a saved file.

Each :class:`Source` composes exactly as the command line would (the same Hydra overrides, or the
same saved file), so what the app shows and runs is what ``flowsim`` would run.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from flowsim.app.fields import get_value, validate
from flowsim.model.compose import config_dir, load_config
from flowsim.model.errors import ConfigError
from flowsim.model.saved import read_saved

__all__ = ["Source", "compose_source", "file_description", "free_name", "keep_upload", "list_sources",
           "starting_config"]

_WHOLE_SCENARIO_FIX = ("open a scenario saved from this app, or a flowsim system file (flowsim --cfg job "
                       "prints one)")

KINDS = {"system": "Default system", "scenario": "Scenario", "scheme": "Published scheme",
         "own": "Own system", "calibrated": "Calibrated system", "saved": "Saved scenario"}


@dataclass(frozen=True)
class Source:
    """A starting point.

    Parameters
    ----------
    kind : str
        ``system`` (the default), ``scenario`` (shipped or in a config folder), ``scheme`` (a
        published scheme on the default system, ``configs/scheme/``), ``own`` or
        ``calibrated`` (a ``system/NAME.yaml`` in a config folder; calibrated when the folder is a
        ``flowsim-calibrate`` output), ``saved`` (a whole scenario saved by the app).
    name : str
        The config name (``quick``, ``my_ics``) or the saved file's stem.
    overrides : tuple of str
        The Hydra overrides that compose it (empty for a saved file).
    saved_file : pathlib.Path, optional
        The saved scenario's file.
    description : str
        The first comment lines of its file, for the picker's help.
    """

    kind: str
    name: str
    overrides: tuple[str, ...] = ()
    saved_file: Path | None = None
    description: str = ""

    @property
    def label(self) -> str:
        """What the picker shows, e.g. ``Scenario: quick``."""
        return KINDS[self.kind] if self.kind == "system" else f"{KINDS[self.kind]}: {self.name}"

    @property
    def command(self) -> str:
        """The command line that runs it as it is."""
        if self.saved_file is not None:
            words = ["--config-dir", str(self.saved_file.parent), "--config-name", self.saved_file.stem]
        else:
            words = []
            for o in self.overrides:
                if o.startswith("hydra.searchpath=[file://"):
                    words += ["--config-dir", o.removeprefix("hydra.searchpath=[file://").removesuffix("]")]
                else:
                    words.append(o)
        return shlex.join(["flowsim", *words])  # a folder name with a space stays one word


def file_description(path: Path) -> str:
    """The leading comment lines of a YAML file, joined (``# @package`` lines left out)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if text and not text.startswith("@package"):
            lines.append(text)
    return " ".join(lines)


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def list_sources(config_dirs: Sequence[str | Path] = (), saved_dirs: Sequence[str | Path] = ()
                 ) -> list[Source]:
    """Every starting point: the default system, the shipped scenarios and schemes, then the user's.

    Parameters
    ----------
    config_dirs : sequence of path
        Config folders as given to ``flowsim --config-dir`` (a ``flowsim-calibrate`` output folder is
        one): their ``system/*.yaml`` and ``scenario/*.yaml``.
    saved_dirs : sequence of path
        Folders of scenarios saved by the app (``*.yaml``).
    """
    shipped = config_dir()
    sources = [Source("system", "default", description=file_description(shipped / "system" / "default.yaml"))]
    sources += [Source("scenario", p.stem, (f"scenario={p.stem}",), description=file_description(p))
                for p in _yaml_files(shipped / "scenario")]
    sources += [Source("scheme", p.stem, (f"scheme={p.stem}",), description=file_description(p))
                for p in _yaml_files(shipped / "scheme") if p.stem != "none"]  # none: the system as it is
    for folder in map(Path, config_dirs):
        search = f"hydra.searchpath=[file://{folder.resolve()}]"
        kind = "calibrated" if (folder / "fits.csv").is_file() else "own"
        sources += [Source(kind, p.stem, (search, f"system={p.stem}"), description=file_description(p))
                    for p in _yaml_files(folder / "system")]
        sources += [Source("scenario", p.stem, (search, f"scenario={p.stem}"),
                           description=file_description(p))
                    for p in _yaml_files(folder / "scenario")
                    if not (shipped / "scenario" / p.name).is_file()]
    for folder in map(Path, saved_dirs):
        sources += [Source("saved", p.stem, saved_file=p.resolve(), description=file_description(p))
                    for p in _yaml_files(folder)]
    return sources


def compose_source(source: Source) -> dict[str, Any]:
    """The resolved configuration of ``source`` (plain containers), as the CLI composes it.

    Raises
    ------
    Exception
        Hydra's or OmegaConf's errors for a file that is not a flowsim config;
        :func:`flowsim.cli.config_errors.describe_error` gives the CLI's one line for them.
    """
    if source.saved_file is not None:
        return read_saved(source.saved_file)
    return OmegaConf.to_container(load_config(source.overrides), resolve=True)  # type: ignore[return-value]


def free_name(target: Path, content: bytes | None, taken: Sequence[Path] = ()) -> Path:
    """Where to keep an opened file: ``target``, or ``<stem>_2``, ``_3`` ... if another file has the name.

    Every download is ``scenario.yaml``: a second one opened replaced the first under the same name,
    and the page, which knew the name, kept showing the first's settings. The same content opened
    again keeps its name.

    Parameters
    ----------
    target : pathlib.Path
        The file the name asks for.
    content : bytes or None
        What is to be written there; None: whatever it is, it may replace ``target``'s own file (a
        scenario saved again under its name).
    taken : sequence of pathlib.Path
        Other folders of saved scenarios listed under Start from (the workspace's ``saved/``): a name
        one of them holds is not free. Both were listed as "Saved scenario: NAME", and picking either
        opened the shared one: the planner's own scenario could not be chosen.

    Returns
    -------
    pathlib.Path
    """
    def clash(candidate: Path) -> bool:
        if any((folder / candidate.name).is_file() for folder in taken):
            return True
        return content is not None and candidate.is_file() and candidate.read_bytes() != content

    candidate, number = target, 1
    while clash(candidate):
        number += 1
        candidate = target.with_name(f"{target.stem}_{number}{target.suffix}")
    return candidate


def starting_config(source: Source) -> dict[str, Any]:
    """``source``'s configuration, checked to be a scenario the app can start from.

    Raises
    ------
    ConfigError
        A YAML file of something else (it sets no unit), or one that leaves out a setting a run needs:
        the form has no field to give it in, so the planner would be sent to fix what they cannot.
    Exception
        As :func:`compose_source`.
    """
    base = compose_source(source)
    if not isinstance(base.get("services"), dict) or not base["services"]:
        # YAML of something else (it composes: a saved scenario's file names its own defaults)
        raise ConfigError("services", "is not set: the file is not a flowsim scenario (it sets no unit)",
                          _WHOLE_SCENARIO_FIX)
    problem = validate(base)
    if problem is not None and get_value(base, problem.field) is None:
        raise ConfigError(problem.field, f"{problem.problem}: the file is not a whole scenario",
                          _WHOLE_SCENARIO_FIX)
    return base


def keep_upload(folder: Path, name: str, content: bytes, taken: Sequence[Path] = ()
                ) -> tuple[Path | None, str | None]:
    """Keep a file the planner opened in ``folder`` (as ``<stem>.yaml``, under a free name) if the app
    can start from it.

    A file that is not a scenario is not kept: it was listed as a starting point for the rest of the
    session although it could never be one.

    Parameters
    ----------
    folder : pathlib.Path
        The session's folder of saved scenarios.
    name : str
        The file's own name.
    content : bytes
        Its content.
    taken : sequence of pathlib.Path
        Other folders of saved scenarios, whose names it does not take (see :func:`free_name`).

    Returns
    -------
    (path, None) where it was kept, or (None, the CLI's one line for what is wrong with it)
    """
    from flowsim.cli.config_errors import describe_error  # the CLI's words (cli is above the model)

    target = free_name(folder / Path(name).with_suffix(".yaml").name, content, taken)
    existed = target.is_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    try:
        starting_config(Source("saved", target.stem, saved_file=target.resolve()))
    except Exception as error:  # a user's file: the CLI's one line, or the bug re-raised
        line = describe_error(error)
        if line is None:
            raise
        if not existed:
            target.unlink()
        return None, line
    return target, None
