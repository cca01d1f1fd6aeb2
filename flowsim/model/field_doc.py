"""The documentation of one configuration setting (see :mod:`flowsim.model.parameter_docs`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SETTINGS", "FieldDoc"]

SETTINGS = "settings"  # the unit word of a field that is a group of settings


@dataclass(frozen=True)
class FieldDoc:
    """The documentation of one schema field.

    Parameters
    ----------
    unit : str
        What the value is measured in ("days", "patients per day", "share (0-1)"), or a unitless word
        ("flag", "text", "count") where it is not a quantity. Never empty.
    description : str
        One line a planner understands: what the setting does in the model.
    source : str
        Where the default system's value comes from (a published figure, "assumption"), or which shipped
        option sets it where the default system leaves it unset; empty where no source applies.
    value_type : str
        Shown as the type where the schema says ``Any`` (values checked later, for one-line messages).
    key : str
        For a mapping of named settings (``services``): the word standing for an entry's name in paths.
    """

    unit: str
    description: str
    source: str = ""
    value_type: str = ""
    key: str = ""
