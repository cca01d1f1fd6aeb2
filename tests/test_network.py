"""``flowsim.reporting.network``: the picture of the modelled system follows its config."""

from __future__ import annotations

from matplotlib.text import Annotation

from flowsim.reporting.network import network_diagram, network_edges

CONFIG = {
    "arrivals": {"rate_per_day": 25, "series_csv": None},
    "pathways": {"shares": {"P0": 0.8, "P1": 0.1, "P2": 0.06, "P3": 0.04}},
    "services": {
        "p3_beds": {"pathways": ["P3"], "capacity": 38, "preference": 1},
        "chu": {"pathways": ["P2"], "capacity": 0, "preference": 2},
        "ic": {"pathways": ["P2"], "capacity": 37.0, "preference": 1},
        "reablement": {"pathways": ["P1"], "capacity": 48, "preference": 1},
    },
    "after_p2": {"shares": {"home": 0.5, "home_p1": 0.3, "p3": 0.2}},
    "housing": {"enabled": True, "barrier_probability": 0.001, "coordinators": {"fte": 2},
                "flats": {"a": {}}},
}


def test_network_edges_follow_the_config():
    network = network_edges(CONFIG, {"services.chu.capacity": [0, 4, 8]})
    assert network.nctr == "Discharge ready (NCTR),\nstill in an acute bed:\nabout 25 a day"
    assert network.pathways == {"P0": "P0 simple discharge\n80 % of patients",
                                "P1": "P1 home with support\n10 % of patients",
                                "P2": "P2 short-term bed\n6 % of patients",
                                "P3": "P3 care home\n4 % of patients"}
    # by pathway, then preference: reablement (P1), ic then chu (P2), p3_beds (P3)
    assert network.units == {"(P0 admin)": "no service needed:\nadmin delay (transport, medicines)",
                             "reablement": "reablement\n48 places", "ic": "ic\n37 places",
                             "chu": "chu\n0 places (swept: 0, 4, 8)", "p3_beds": "p3_beds\n38 places"}
    assert network.edges == [
        ("NCTR", "P0", "solid"), ("NCTR", "P1", "solid"), ("NCTR", "P2", "solid"), ("NCTR", "P3", "solid"),
        ("P0", "(P0 admin)", "solid"), ("(P0 admin)", "home", "solid"),
        ("P1", "reablement", "solid"), ("reablement", "home", "solid"),
        ("P2", "ic", "solid"), ("ic", "home", "solid"), ("ic", "care home", "dashed"),
        ("P2", "chu", "solid"), ("chu", "home", "solid"), ("chu", "care home", "dashed"),
        ("P3", "p3_beds", "solid"), ("p3_beds", "care home", "solid")]
    assert network.notes[-1] == ("Housing: 0.1 % of patients cannot go home until their home is fixed "
                                 "(coordinators: 2 FTE; step-down flat schemes: 1).")


def test_no_dashed_onward_arrow_or_housing_note_when_the_config_has_none():
    config = {**CONFIG, "after_p2": {"shares": {"home": 1.0}}, "housing": {"enabled": False},
              "arrivals": {"rate_per_day": 25, "series_csv": "rates.csv"}}
    network = network_edges(config)
    assert all(style == "solid" for _, _, style in network.edges)
    assert network.units["chu"] == "chu\n0 places"
    assert network.nctr.endswith("daily series from a file")
    assert network.notes == ["Every day a discharge-ready patient waits in the acute bed is a delayed day. "
                             "Readmitted patients come back as new NCTR episodes."]


def test_network_diagram_draws_every_box_and_arrow():
    fig = network_diagram(CONFIG, {"services.chu.capacity": [0, 4, 8]})
    axis = fig.axes[0]
    boxes = sorted(p.get_gid() for p in axis.patches if (p.get_gid() or "").startswith("box:"))
    assert boxes == sorted(f"box:{b}" for b in ["NCTR", "P0", "P1", "P2", "P3", "(P0 admin)", "reablement",
                                                 "ic", "chu", "p3_beds", "home", "care home"])
    arrows = [t.get_gid() for t in axis.texts if isinstance(t, Annotation)]
    assert len(arrows) == 16 and "edge:chu->care home" in arrows
    texts = [t.get_text() for t in axis.texts if not isinstance(t, Annotation)]
    assert "chu\n0 places (swept: 0, 4, 8)" in texts
    assert fig.get_size_inches()[0] == 11
