"""A griffe extension for the API pages: Sphinx roles in docstrings shown as code.

flowsim's docstrings cross-reference with Sphinx roles (:func:`~flowsim.x.f`), which read well in
``help()`` and editors; Markdown would print them raw. This turns each role into inline code, with
the ``~`` shortening Sphinx applies (the last dotted part only).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:func|mod|class|meth|attr|data|obj|exc|const):`(~?)([^`]+)`")


def plain(text: str) -> str:
    """``:func:`~a.b.c``` -> ```c```; ``:mod:`a.b``` -> ```a.b```."""
    return ROLE.sub(lambda m: f"`{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}`", text)


class SphinxRoles(griffe.Extension):
    """Rewrite the roles of every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain(obj.docstring.value)
