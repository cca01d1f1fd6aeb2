"""Reading a user's data file (a census, an arrival series) without ever crashing on it.

A file named in a config may be missing, a folder, unreadable, binary, not UTF-8, empty, or malformed
YAML or CSV. Each of these is a :class:`~flowsim.model.errors.ConfigError` naming the config field, the file
and, where there is one, the line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from flowsim.model.errors import ConfigError
from flowsim.model.yaml_numbers import NumberTrap, TrapRefusingLoader

__all__ = ["csv_rows", "read_text", "read_yaml_file", "yaml_data"]


def read_text(path: str | Path, field: str, what: str) -> tuple[Path, str]:
    """The text of the file at ``path``.

    Parameters
    ----------
    path : path
        The file a config field names.
    field : str
        The config field, e.g. ``run.initial_census``.
    what : str
        What the file should be, for the fix, e.g. ``"a CSV with columns date,rate_per_day"``.

    Returns
    -------
    (pathlib.Path, str)
        The path and its text (UTF-8, a leading byte-order mark dropped).

    Raises
    ------
    ConfigError
        Missing, a folder, unreadable, binary, UTF-16 or otherwise not UTF-8, or empty.
    """
    file = Path(str(path))
    if not file.exists():
        raise ConfigError(field, f"file {str(file)!r} does not exist", f"give the path of {what}")
    if not file.is_file():
        raise ConfigError(field, f"{str(file)!r} is not a file", f"give the path of {what}")
    try:
        data = file.read_bytes()
    except OSError as error:
        raise ConfigError(field, f"cannot read {str(file)!r}: {error.strerror or error}",
                          f"check the file's permissions, or give another copy of {what}") from None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16's byte-order mark: Excel's "Unicode text"
        raise ConfigError(field, f"{file.name} is UTF-16 text, not UTF-8",
                          "save the file as UTF-8 (in Excel: CSV UTF-8)")
    if b"\x00" in data:
        line = data[:data.index(b"\x00")].count(b"\n") + 1
        raise ConfigError(field, f"{file.name} line {line} holds binary data (a NUL byte), not text",
                          f"give {what}, saved as plain text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise ConfigError(field, f"{file.name} line {line} is not UTF-8 text",
                          "save the file as UTF-8 (in Excel: CSV UTF-8)") from None
    if not text.strip():
        raise ConfigError(field, f"{file.name} is empty", f"give {what}")
    return file, text


class _UniqueKeyLoader(TrapRefusingLoader):
    """A safe YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last), and a
    number YAML reads otherwise than written (``010``: octal 8; :mod:`flowsim.model.yaml_numbers`)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} given twice (lines {seen[key]} and {line})",
                        key_node.start_mark)
                seen[key] = line
            except TypeError:  # an unhashable key ({[1]: 2}): let PyYAML report it
                break
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date as a date; one the calendar lacks (``2025-02-30``) as its text, for the field to name.

        PyYAML raises a bare ValueError on it ("day is out of range for month"), with no line or key.
        """
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _UniqueKeyLoader.construct_yaml_timestamp)


def yaml_data(text: str, file: Path, field: str) -> Any:
    """Parse YAML ``text`` of ``file``; a syntax error or a repeated key names its line."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no arbitrary objects
    except NumberTrap as error:
        raise ConfigError(field, f"{file.name} line {error.problem_mark.line + 1}: {error.problem}",
                          error.fix) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(field, f"{file.name}{where} is not valid YAML: {problem}",
                          "correct that line (YAML: 'key: value', lists in [ ])") from None


def read_yaml_file(path: str | Path, what: str) -> Any:
    """A YAML file given on the command line (a sizing or targets file), parsed.

    Its field is the file itself: a folder, a missing file, non-UTF-8 text or bad YAML is one line
    such as ``FILE: line 3 is not UTF-8 text``.

    Raises
    ------
    ConfigError
        Naming the file, and the line where there is one.
    """
    file = Path(path)
    if file.is_dir():
        raise ConfigError(str(file), "is a folder, not a file", f"give the path of {what}")
    if not file.exists():
        raise ConfigError(str(file), "does not exist", f"give the path of {what}")
    try:
        file, text = read_text(file, str(file), what)
        return yaml_data(text, file, str(file))
    except ConfigError as error:  # the field is the file already: drop its name from the problem
        raise ConfigError(error.field, error.problem.removeprefix(f"{file.name} "), error.fix) from None


def csv_rows(text: str, file: Path, field: str, columns: Sequence[str]
             ) -> list[tuple[int, dict[str, str]]]:
    """Rows of CSV ``text`` as ``(line number, {column: value})``, with the required ``columns``.

    Extra columns are allowed; a row with more values than the header, a missing value in a required
    column, a header without rows, or a CSV syntax error is refused, naming the line.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
        repeated = next((name for i, name in enumerate(header) if name in header[:i]), None)
        if repeated is not None:  # which of the two would count is anybody's guess: neither
            raise ConfigError(field, f"{file.name} line 1 names the column {repeated} twice",
                              "keep one column of each name")
        missing = [c for c in columns if c not in header]
        other = next((sep for sep in (";", "\t", "|") if len(header) == 1 and sep in header[0]), None)
        if missing and other is not None:  # a spreadsheet's export in another locale, e.g. "date;rate"
            raise ConfigError(field, f"{file.name} separates its columns with {other!r}, not commas",
                              f"save it as CSV with commas, header line '{','.join(columns)}'")
        if missing:
            raise ConfigError(field, f"{file.name} line 1 lacks the columns {','.join(columns)} "
                              f"(missing: {', '.join(missing)})",
                              f"start the file with the header line '{','.join(columns)}'")
        rows = []
        for values in reader:
            line = reader.line_num
            if not values or not any(v.strip() for v in values):
                continue  # blank lines are harmless
            if len(values) > len(header):
                raise ConfigError(field, f"{file.name} line {line} has {len(values)} values but the "
                                  f"header has {len(header)} columns", "correct that line")
            row = dict(zip(header, values, strict=False))
            absent = [c for c in columns if c not in row]
            if absent:
                raise ConfigError(field, f"{file.name} line {line} has no value for {absent[0]}",
                                  f"give every line {len(header)} comma-separated values")
            rows.append((line, {c: row[c].strip() for c in columns}))
    except csv.Error as error:
        raise ConfigError(field, f"{file.name} line {reader.line_num} is not valid CSV: {error}",
                          "correct that line") from None
    if not rows:
        raise ConfigError(field, f"{file.name} has a header but no rows", "add one line per entry")
    return rows
