"""What the housing settings mean: barriers, coordinators, community referrals and step-down flats.

Part of :data:`flowsim.model.parameter_docs.FIELD_DOCS` (kept apart to keep each module small).
"""

from __future__ import annotations

from collections.abc import Mapping

from flowsim.model.config import (
    BarrierTypeConfig,
    CommunityReferralsConfig,
    CoordinatorsConfig,
    FlatSchemeConfig,
    HousingConfig,
)
from flowsim.model.field_doc import SETTINGS as _SETTINGS
from flowsim.model.field_doc import FieldDoc

__all__ = ["HOUSING_FIELD_DOCS"]

HOUSING_FIELD_DOCS: Mapping[type, Mapping[str, FieldDoc]] = {
    HousingConfig: {
        "enabled": FieldDoc("flag", "Switches housing barriers on; false gives the core model alone, with "
                            "identical results", "housing=default (barriers as things stand); "
                            "housing=off: false"),
        "barrier_probability": FieldDoc("probability (0-1)", "Chance that an NCTR episode has a housing "
                                        "barrier to going home", "calibrated to the SitRep 2023 share of "
                                        "long delays for equipment, adaptations and housing (2.65 %) and "
                                        "homelessness (1.6 %)"),
        "referral_delay_days": FieldDoc("days", "Time from NCTR to the referral that starts the fix",
                                        "assumption: a day to identify and refer"),
        "types": FieldDoc("named barrier types", "Kinds of barrier, by name, with their shares and fix "
                          "times; shares sum to 1", key="type"),
        "coordinators": FieldDoc(_SETTINGS, "Hospital-to-home housing coordinators, who make fixes faster "
                                 "up to their caseload"),
        "community_referrals": FieldDoc(_SETTINGS, "Referrals from the community that share the "
                                        "coordinators and flats", "status quo: none"),
        "flats": FieldDoc("named flat schemes", "Step-down flat schemes, by name: a P0 or P1 patient waiting "
                          "for a fix waits in a flat instead of an acute bed", "status quo: none; "
                          "housing=step_down_flats adds one scheme", key="scheme"),
    },
    BarrierTypeConfig: {
        "share": FieldDoc("share (0-1)", "Share of barriers of this type"),
        "fix_days_coordinated": FieldDoc("days", "Time to fix the barrier with a housing coordinator"),
        "fix_days_uncoordinated": FieldDoc("days", "Time to fix the barrier the ordinary way, without a "
                                           "coordinator"),
    },
    CoordinatorsConfig: {
        "fte": FieldDoc("FTE", "Coordinators in post; 0 = every fix uncoordinated", "status quo: none "
                        "(housing=coordinator_scheme: 2, as Nottingham City Homes' two coordinators)"),
        "caseload_per_fte": FieldDoc("cases per FTE", "Barriers one FTE coordinates at once", "assumption "
                                     "(Oldham: 30 patients supported in 6 months by 1 FTE)"),
        "when_full": FieldDoc("choice", "When no coordinator has room: uncoordinated (fix the ordinary way) "
                              "or wait (queue for a coordinator, first come first served)",
                              "status quo; housing=coordinator_scheme and step_down_flats: wait"),
        "cost_per_fte_year": FieldDoc("GBP per FTE per year", "Cost of one coordinator FTE, pro rata over "
                                      "the window", "assumption: Band 5-6 housing officer with on-costs"),
        "follow_up_days": FieldDoc("days", "A coordinated case is held this long after its fix (visits at "
                                   "home after discharge); empty: closed when the fix is done",
                                   "scheme=oldham_h2h: about 90 d a case in all (assumption)"),
        "readmission_factor": FieldDoc("factor", "Multiplies the readmission chance of patients whose fix "
                                       "was coordinated (1: no effect)"),
    },
    CommunityReferralsConfig: {
        "rate_per_day": FieldDoc("referrals per day", "People referred from the community to the same "
                                 "coordinators (and flats); 0: none", "scheme=nottingham_hhc: 85 % of "
                                 "153 referrals in 9 months came from the community"),
        "flat_share": FieldDoc("share (0-1)", "Share of community referrals who also need a flat"),
        "reablement_days": FieldDoc("days", "A community referral's stay in a flat (and until the fix is "
                                    "done)"),
        "types": FieldDoc("share (0-1) by barrier type", "Their barrier types; empty: as hospital "
                          "patients'", "scheme=nottingham_hhc: rehousing", key="type"),
    },
    FlatSchemeConfig: {
        "capacity": FieldDoc("flats", "Flats in the scheme", "housing=step_down_flats: 12 (Heatherstones "
                             "Court: 12 apartments; Kirklees 7 flats; Roseberry Mansions 10 flats)",
                             value_type="whole number"),
        "barrier_types": FieldDoc("barrier type names", "Barrier types the scheme accepts; empty = every "
                                  "type", "housing=step_down_flats: every type but minor_repair"),
        "pathways": FieldDoc("pathway names", "Pathways whose patients may use a flat: P0 and/or P1"),
        "reablement_days": FieldDoc("days", "Re-ablement stay in the flat; the patient leaves when it is "
                                    "over and the fix is done", "housing=step_down_flats: gamma mean 21 d, "
                                    "sd 10 (assumption; Heatherstones: up to 6 weeks, often 2-3 months)"),
        "turnaround_days": FieldDoc("days", "Void turnaround: time a flat stays empty between occupants",
                                    "housing=step_down_flats: uniform 1-5 d (assumption)"),
        "max_stay_days": FieldDoc("days", "Contracted maximum stay: longer stays are counted and costed, not "
                                  "cut short", "Roseberry Mansions and Heatherstones: up to 6 weeks "
                                  "(Roseberry mean stay 41 d)"),
        "preference": FieldDoc("rank", "Order in which schemes are tried: lower first"),
        "cost_per_flat_week": FieldDoc("GBP per flat per week", "Cost of each flat of the scheme, occupied "
                                       "or not", "housing=step_down_flats: 350 (assumption: extra-care flat "
                                       "rent and support, well below a GBP 768 residential bed)"),
        "cost_per_over_length_day": FieldDoc("GBP per day", "Cost of each day a stay runs beyond "
                                             "max_stay_days", "housing=step_down_flats: 50 (assumption)"),
        "without_barrier": FieldDoc("share (0-1) by pathway", "Share of P1 and/or P3 patients with no "
                                    "housing barrier offered a free flat at NCTR, to regain skills",
                                    "scheme=roseberry, heatherstones", key="pathway"),
        "enforce_max_stay": FieldDoc("flag", "The occupant leaves at max_stay_days, to a move_on destination",
                                     "scheme=roseberry: true (stays up to six weeks)"),
        "move_on": FieldDoc("share (0-1) by destination", "Where occupants go when the maximum stay is "
                            "enforced: home, P1 (a package) or P3 (a care home); shares sum to 1",
                            key="destination"),
        "community": FieldDoc("flag", "The scheme takes community referrals too"),
        "readmission_factor": FieldDoc("factor", "Multiplies the readmission chance of the scheme's "
                                       "occupants (1: no effect)"),
        "p1_los_factor": FieldDoc("factor", "Multiplies the P1 package length of occupants who go on to P1 "
                                  "(a smaller package)"),
        "p3_avoided_share": FieldDoc("share (0-1)", "Of P3 patients offered a flat, those who go home with "
                                     "a P1 package instead of a care home"),
    },
}
