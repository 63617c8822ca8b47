"""Gate, BLO and seaport counts against the published figures."""

from borderwatch import blo_reconciliation, gate_reconciliation
from borderwatch.reconcile import PUBLISHED_GATES, gate_counts


def test_shipped_gate_counts(region):
    counts = gate_counts(region.gates)
    assert counts["LAO"] == {"international": 8, "primary": 9, "secondary": 11}
    assert sum(sum(c.values()) for c in counts.values()) == 87


def test_china_total_inconsistency_is_reported_not_fixed(region):
    table = gate_reconciliation(region.gates)
    chn_total = table[(table["border"] == "CHN") & (table["class"] == "total")].iloc[0]
    assert chn_total["published"] == 50
    assert chn_total["note"] == "published total stated as 40, but its class counts add up to 50"
    lao_total = table[(table["border"] == "LAO") & (table["class"] == "total")].iloc[0]
    assert lao_total["note"] == "" and lao_total["difference"] == 28 - 52
    assert sum(PUBLISHED_GATES["KHM"].values()) == 47


def test_blos_match_the_14_published(region):
    rec = blo_reconciliation(region.blos)
    published = rec[rec["published_name"] != ""]
    assert len(published) == 14 and published["in_data"].all()
    assert rec.loc[rec["published_name"] == "", "blo_id"].tolist() == ["BLO-X1"]


def test_missing_blo_is_reported(region):
    rec = blo_reconciliation(region.blos[region.blos["name"] != "Lao Bao"])
    assert rec.loc[rec["published_name"] == "Lao Bao", "in_data"].item() is False
