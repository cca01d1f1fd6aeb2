"""The modelled system as a picture, drawn from a run's configuration.

:func:`network_edges` reads a resolved config (a job's ``manifest.json`` ``config``) into boxes and
arrows: NCTR arrivals -> pathways P0-P3 (with their shares) -> the configured units (with their
capacities, and the values a sweep tried) -> home or a care home. :func:`network_diagram` draws them
for the board pack, so the picture is always of the system that was simulated, not of a slide;
:func:`draw_network` draws a :class:`Network` already read (the planner's app draws again only when
the boxes and arrows change, not at every edit of a cost or a length of stay).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

__all__ = ["PATHWAY_NAMES", "Network", "draw_network", "network_diagram", "network_edges"]

PATHWAY_NAMES = {"P0": "P0 simple discharge", "P1": "P1 home with support",
                 "P2": "P2 short-term bed", "P3": "P3 care home"}
_HOME, _CARE_HOME, _NCTR, _ADMIN = "home", "care home", "NCTR", "(P0 admin)"


@dataclass(frozen=True)
class Network:
    """Boxes (id -> label) in four columns and the arrows between them."""

    nctr: str  # the label of the NCTR box
    pathways: dict[str, str]  # "P0" -> label
    units: dict[str, str]  # unit name -> label
    exits: dict[str, str]  # "home" / "care home" -> label
    edges: list[tuple[str, str, str]]  # (from id, to id, "solid" or "dashed")
    notes: list[str]


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def network_edges(config: Mapping[str, Any], swept: Mapping[str, Sequence[Any]] | None = None) -> Network:
    """The boxes and arrows of the system ``config`` describes.

    Parameters
    ----------
    config : Mapping
        A resolved flowsim config (plain containers).
    swept : mapping, optional
        Swept key -> the values the sweep tried (e.g. ``{"services.care_home_unit.capacity":
        [0, 10, 20]}``): a unit whose capacity was swept says so.

    Returns
    -------
    Network
        ``units`` starts with ``"(P0 admin)"``, the admin delay of P0 (no service). Arrows: NCTR ->
        every pathway; P0 -> the admin delay -> home; a pathway -> every unit serving it; a unit
        serving P1 or P2 -> home; a unit serving P3 -> care home; a unit serving P2 -> care home
        (dashed: the P3 placements some patients need after their stay) when ``after_p2`` sends anyone
        to P3.
    """
    swept = swept or {}
    arrivals = config.get("arrivals") or {}
    rate = ("daily series from a file" if arrivals.get("series_csv")
            else f"about {_number(arrivals.get('rate_per_day'))} a day")
    nctr = f"Discharge ready (NCTR),\nstill in an acute bed:\n{rate}"
    shares = (config.get("pathways") or {}).get("shares") or {}
    pathways = {p: f"{name}\n{100 * float(shares.get(p, 0)):.3g} % of patients"
                for p, name in PATHWAY_NAMES.items()}
    edges: list[tuple[str, str, str]] = [(_NCTR, p, "solid") for p in pathways]
    edges += [("P0", _ADMIN, "solid"), (_ADMIN, _HOME, "solid")]
    units: dict[str, str] = {_ADMIN: "no service needed:\nadmin delay (transport, medicines)"}
    after_p2 = (config.get("after_p2") or {}).get("shares") or {}
    services = config.get("services") or {}
    order = sorted(services, key=lambda n: (min(services[n].get("pathways") or ["P9"]),
                                             services[n].get("preference", 1)))
    for name in order:
        unit = services[name]
        served = [p for p in unit.get("pathways") or [] if p in PATHWAY_NAMES]
        label = f"{name}\n{_number(unit.get('capacity'))} places"
        tried = swept.get(f"services.{name}.capacity")
        if tried:
            label += f" (swept: {', '.join(_number(v) for v in tried)})"
        units[name] = label
        edges += [(p, name, "solid") for p in served]
        if "P1" in served or "P2" in served:
            edges.append((name, _HOME, "solid"))
        if "P3" in served:
            edges.append((name, _CARE_HOME, "solid"))
        elif "P2" in served and float(after_p2.get("p3", 0) or 0) > 0:
            edges.append((name, _CARE_HOME, "dashed"))
    notes = ["Every day a discharge-ready patient waits in the acute bed is a delayed day. "
             "Readmitted patients come back as new NCTR episodes."]
    if any(style == "dashed" for _, _, style in edges):
        notes.append("Dashed: after a P2 stay some patients need a care-home placement (P3); they keep "
                     "the P2 bed while they wait, as do those waiting for care at home (P1).")
    housing = config.get("housing") or {}
    if housing.get("enabled"):
        fte = (housing.get("coordinators") or {}).get("fte", 0)
        flats = housing.get("flats") or {}
        notes.append(f"Housing: {100 * float(housing.get('barrier_probability', 0)):.3g} % of patients "
                     f"cannot go home until their home is fixed (coordinators: {_number(fte)} FTE; "
                     f"step-down flat schemes: {len(flats)}).")
    exits = {_HOME: "home", _CARE_HOME: "care home"}
    return Network(nctr, pathways, units, exits, edges, notes)


def network_diagram(config: Mapping[str, Any], swept: Mapping[str, Sequence[Any]] | None = None) -> Figure:
    """Draw :func:`network_edges` of ``config``: four columns of boxes joined by arrows.

    Parameters
    ----------
    config : Mapping
        A resolved flowsim config (e.g. the baseline job's ``manifest.json`` ``config``).
    swept : mapping, optional
        Swept key -> values tried, as for :func:`network_edges`.

    Returns
    -------
    matplotlib.figure.Figure
        As :func:`draw_network`.
    """
    return draw_network(network_edges(config, swept))


def draw_network(network: Network) -> Figure:
    """Draw ``network``: four columns of boxes joined by arrows, its notes below.

    Parameters
    ----------
    network : Network
        Boxes and arrows, as :func:`network_edges` reads them from a config.

    Returns
    -------
    matplotlib.figure.Figure
        One axis without ticks, 11 in wide; a box is a patch with gid ``box:<id>`` and its label as
        text; an arrow is an annotation with gid ``edge:<from>-><to>``.
    """
    rows = max(4, len(network.units))  # the admin delay and the units
    height = 1.0 + 0.85 * rows + 0.3 * len(network.notes)
    fig = Figure(figsize=(11, height), layout="constrained")
    axis = fig.subplots()
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_axis_off()
    top, bottom = 0.96, 0.04 + 0.3 * len(network.notes) / height
    width = {0: 0.19, 1: 0.2, 2: 0.27, 3: 0.12}
    centre_x = {0: 0.1, 1: 0.34, 2: 0.64, 3: 0.92}
    box_h = min(0.13, 0.75 * (top - bottom) / rows)
    places: dict[str, tuple[float, float, int]] = {}

    def column(ids: list[str], index: int) -> None:
        step = (top - bottom) / len(ids)
        for i, box in enumerate(ids):
            places[box] = (centre_x[index], top - step * (i + 0.5), index)

    column([_NCTR], 0)
    column(list(network.pathways), 1)
    column(list(network.units), 2)
    column(list(network.exits), 3)
    labels = {_NCTR: network.nctr, **network.pathways, **network.units, **network.exits}
    colours = {0: "#fde2e2", 1: "#e8eef9", 2: "#e3f2e1", 3: "#f3f3f3"}
    for box, (x, y, index) in places.items():
        w = width[index]
        axis.add_patch(FancyBboxPatch((x - w / 2, y - box_h / 2), w, box_h, gid=f"box:{box}",
                                      boxstyle="round,pad=0.005", facecolor=colours[index],
                                      edgecolor="grey"))
        axis.text(x, y, labels.get(box, box), ha="center", va="center", fontsize=8.5)
    for start, end, style in network.edges:
        (x0, y0, i0), (x1, y1, i1) = places[start], places[end]
        axis.annotate("", xy=(x1 - width[i1] / 2, y1), xytext=(x0 + width[i0] / 2, y0),
                      gid=f"edge:{start}->{end}",
                      arrowprops={"arrowstyle": "->", "color": "dimgrey", "linewidth": 1.0,
                                  "linestyle": "--" if style == "dashed" else "-"})
    for i, note in enumerate(network.notes):
        axis.text(0.0, (0.3 * (len(network.notes) - i) - 0.1) / height, note, fontsize=8.5, ha="left",
                  va="center", color="dimgrey")
    return fig
