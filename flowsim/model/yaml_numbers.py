"""Numbers that YAML reads otherwise than they were written: refused, naming the line.

Hydra (through OmegaConf) and PyYAML read YAML 1.1, in which a plain ``010`` is the octal number 8
and ``1:30`` the base-60 number 90 (``1:30.5``: 90.5). Nobody giving a unit's capacity or a length of
stay means either, and the run would go on with the wrong number without a word. flowsim refuses
them, with the line, the value YAML reads and the number to write instead: in the user's config
files that a run reads (:func:`check_yaml_numbers`, called by :mod:`flowsim.model.shadowed` on
each of them) and in the YAML data files flowsim reads itself (a census, a sizing or targets file:
:class:`TrapRefusingLoader`, the base of :mod:`flowsim.model.datafile`'s loader).

A number written with its prefix (``0x1F``, ``0b101``) or in quotes (``"010"``, then text) is meant
as written and left alone, as is a leading zero that changes nothing (``07``, ``00``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from flowsim.model.errors import ConfigError

__all__ = ["NumberTrap", "TrapRefusingLoader", "check_yaml_numbers", "misread"]

_OCTAL = re.compile(r"[-+]?0[0-7_]+")  # YAML 1.1's octal integer
_BASE_60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")  # and its base-60 numbers
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"


def misread(text: str, value: Any) -> tuple[str, str] | None:
    """Why the plain scalar ``text``, which YAML read as the number ``value``, is not what was written.

    Returns
    -------
    (problem, fix), or None
        None when ``value`` is the number ``text`` shows.
    """
    if _BASE_60.fullmatch(text):
        shown = f"{value:.12g}" if isinstance(value, float) else str(value)
        return (f"{text} is read by YAML as {shown}: a number with colons is base 60, as a time (1:30 is 90)",
                "write the number itself in decimals, without colons (e.g. 1.5, not 1:30)")
    if _OCTAL.fullmatch(text):
        decimal = int(text.replace("_", ""), 10)
        if decimal != value:
            return (f"{text} is read by YAML as {value}: a number with a leading zero is octal",
                    f"write {decimal} without the leading zero")
    return None


class NumberTrap(yaml.constructor.ConstructorError):
    """A number YAML reads otherwise than written (:func:`misread`), at ``problem_mark``; ``fix`` says
    what to write."""

    def __init__(self, problem: str, fix: str, mark: yaml.Mark) -> None:
        super().__init__(None, None, problem, mark)
        self.fix = fix


class TrapRefusingLoader(yaml.SafeLoader):
    """A safe YAML loader that raises :class:`NumberTrap` on a number YAML reads otherwise than written."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """An integer, unless written as an octal or base-60 one (:func:`misread`)."""
        return self._checked(node, super().construct_yaml_int(node))

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        """A float, unless written as a base-60 one (:func:`misread`)."""
        return self._checked(node, super().construct_yaml_float(node))

    @staticmethod
    def _checked(node: yaml.ScalarNode, value: Any) -> Any:
        wrong = misread(node.value, value) if node.style is None else None  # quoted: text, as meant
        if wrong is not None:
            raise NumberTrap(*wrong, node.start_mark)
        return value


TrapRefusingLoader.add_constructor(_INT, TrapRefusingLoader.construct_yaml_int)
TrapRefusingLoader.add_constructor(_FLOAT, TrapRefusingLoader.construct_yaml_float)


def _traps(node: yaml.Node, path: str, reader: yaml.SafeLoader) -> tuple[str, str, str, int] | None:
    """The first number of ``node`` (at key ``path``) that YAML reads otherwise than written:
    (key, problem, fix, line), or None. ``reader`` constructs a number's value."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            found = _traps(value, f"{path}.{name}" if path else str(name), reader)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = _traps(item, f"{path}[{index}]", reader)
            if found is not None:
                return found
    elif isinstance(node, yaml.ScalarNode) and node.style is None and node.tag in (_INT, _FLOAT):
        value = reader.construct_yaml_int(node) if node.tag == _INT else reader.construct_yaml_float(node)
        wrong = misread(node.value, value)
        if wrong is not None:
            return path, *wrong, node.start_mark.line + 1
    return None


def check_yaml_numbers(file: Path) -> None:
    """Refuse a config file with a number that YAML (as Hydra reads it) reads otherwise than written.

    An unreadable file or one that is not valid YAML is left to Hydra's loader, which reports it.

    Raises
    ------
    ConfigError
        Naming the file, the line and key, the value read and the number to write.
    """
    from omegaconf._utils import get_yaml_loader  # the loader Hydra reads config files with

    try:
        root = yaml.compose(file.read_text(encoding="utf-8"), Loader=get_yaml_loader())
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return
    found = _traps(root, "", yaml.SafeLoader("")) if root is not None else None
    if found is not None:
        key, problem, fix, line = found
        raise ConfigError(str(file), f"line {line} ({key}): {problem}", fix)
