"""The packaged event taxonomies and their look-ups (reads only the package's own tables)."""

from __future__ import annotations

import dataclasses
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powderkeg.coder import taxonomy as tx


@pytest.fixture(autouse=True)
def _packaged_tables(monkeypatch: pytest.MonkeyPatch):
    """Every test sees the packaged tables unless it points elsewhere itself."""
    monkeypatch.delenv(tx.TABLES_ENV, raising=False)
    tx.use_tables(None)
    yield
    tx.use_tables(None)


def _pairs() -> list[tuple[str, str | None]]:
    return [(r["category"], r["mode"] or None) for r in tx.load_table("plover.tsv")]


# --- the tables themselves -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(tx.TABLE_COLUMNS))
def test_tables_parse_with_declared_columns(name: str) -> None:
    text = (resources.files("powderkeg") / "data" / "taxonomy" / name).read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines[0].split("\t") == list(tx.TABLE_COLUMNS[name])
    rows = tx.load_table(name)
    assert len(rows) == len(lines) - 1 > 0
    assert all(tuple(r) == tx.TABLE_COLUMNS[name] for r in rows)


def test_taxonomy_readme_is_packaged() -> None:
    readme = resources.files("powderkeg") / "data" / "taxonomy" / "README.md"
    text = readme.read_text("utf-8")
    for name in tx.TABLE_COLUMNS:
        assert name in text


def test_plover_table_has_the_sixteen_categories_in_order() -> None:
    assert len(tx.PLOVER_CATEGORIES) == 16
    cats = list(dict.fromkeys(r["category"] for r in tx.load_table("plover.tsv")))
    assert tuple(cats) == tx.PLOVER_CATEGORIES


def test_plover_rows_are_unique_and_each_category_has_a_bare_row() -> None:
    pairs = _pairs()
    assert len(pairs) == len(set(pairs))
    for cat in tx.PLOVER_CATEGORIES:
        assert (cat, None) in pairs


def test_plover_modes_of_the_2_0_manual() -> None:
    assert tx.modes("AGREE") == ()
    assert tx.modes("CONSULT") == ("visit", "third-party", "multilateral", "phone")
    assert "vandalize" in tx.modes("PROTEST")
    assert len(tx.modes("ASSAULT")) == 15
    assert len(tx.modes("COERCE")) == 10


# --- PLOVER look-ups -------------------------------------------------------------------------


@pytest.mark.parametrize("category", tx.PLOVER_CATEGORIES)
def test_every_category_has_a_cameo_default_a_quad_and_an_intensity(category: str) -> None:
    code = tx.cameo_for(category, None)
    assert code is not None and tx.cameo_name(code) is not None
    assert tx.quad(category) in (1, 2, 3, 4)
    assert -10 <= tx.intensity(category) <= 10
    assert tx.describe(category)


def test_every_plover_pair_has_its_own_cameo_row() -> None:
    rows = {(r["category"], r["mode"] or None): r["cameo"] for r in tx.load_table("plover_to_cameo.tsv")}
    assert set(rows) == set(_pairs())
    for (cat, mode), code in rows.items():
        assert tx.cameo_for(cat, mode) == code
        assert tx.goldstein(code) is not None


def test_quads_follow_the_manual() -> None:
    assert [tx.quad(c) for c in ("AGREE", "CONSULT", "SUPPORT", "CONCEDE")] == [1, 1, 1, 1]
    assert [tx.quad(c) for c in ("COOPERATE", "AID", "RETREAT")] == [2, 2, 2]
    assert [tx.quad(c) for c in ("REQUEST", "ACCUSE", "REJECT", "THREATEN")] == [3, 3, 3, 3]
    for cat in ("PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT"):
        assert tx.quad(cat) == 4
    for cat, mode in _pairs():
        assert tx.quad(cat, mode) == tx.quad(cat)


def test_intensities_from_the_manual() -> None:
    assert tx.intensity("AID") == 10
    assert tx.intensity("ASSAULT", "unconventional") == -10
    assert tx.intensity("CONSULT", "visit") == 4
    assert tx.intensity("PROTEST", "riot") == -7
    assert tx.intensity("ACCUSE") < 0  # the manual's "+3" is read as a sign slip
    assert tx.intensity("PROTEST", "vandalize") == tx.intensity("PROTEST")


def test_is_valid() -> None:
    assert tx.is_valid("ASSAULT", "firearms")
    assert tx.is_valid("ASSAULT", None)
    assert tx.is_valid("AGREE", "")
    assert not tx.is_valid("AGREE", "visit")
    assert not tx.is_valid("PROTEST", "demo-org")  # legacy spelling: not a 2.0 label
    assert not tx.is_valid("FIGHT", None)
    assert not tx.is_valid("assault", None)


def test_aliases_and_spelling_variants_resolve() -> None:
    assert tx.canonical_mode("PROTEST", "strike-hun") == "hunger"
    assert tx.canonical_mode("assault", "Heavy_Weapons") == "heavy-weapons"
    assert tx.canonical_mode("ASSAULT", "assassinate") == "targeted"
    assert tx.canonical_mode("ASSAULT", "other") is None
    assert tx.canonical_mode("COERCE", None) is None
    assert tx.cameo_for("CONSULT", "host") == tx.cameo_for("CONSULT", "visit")
    with pytest.raises(ValueError, match="no mode"):
        tx.canonical_mode("PROTEST", "picnic")


def test_unknown_mode_falls_back_to_the_category() -> None:
    assert tx.cameo_for("ASSAULT", "picnic") == tx.cameo_for("ASSAULT", None)
    assert tx.intensity("ASSAULT", "picnic") == tx.intensity("ASSAULT")


@pytest.mark.parametrize(
    "call",
    [
        lambda c: tx.quad(c),
        lambda c: tx.intensity(c),
        lambda c: tx.cameo_for(c, None),
        lambda c: tx.acled_for(c, None),
        lambda c: tx.code(c, None),
        lambda c: tx.modes(c),
        lambda c: tx.canonical_mode(c, None),
    ],
)
def test_unknown_category_raises(call) -> None:
    with pytest.raises(ValueError, match="unknown PLOVER category 'BLOCKADE'"):
        call("BLOCKADE")


def test_old_category_names_get_a_hint() -> None:
    with pytest.raises(ValueError, match="use ASSAULT"):
        tx.quad("FIGHT")


# --- CAMEO -----------------------------------------------------------------------------------


def test_every_cameo_code_has_a_valid_root_and_quad_class() -> None:
    rows = tx.load_table("cameo.tsv")
    assert len(rows) >= 311
    for r in rows:
        root = tx.cameo_root(r["code"])
        assert root == r["root"] and len(root) == 2 and 1 <= int(root) <= 20
        n = int(root)
        expected = 1 if n <= 5 else 2 if n <= 9 else 3 if n <= 14 else 4
        assert int(r["quad"]) == expected == tx.cameo_quad(r["code"])
        assert -10 <= float(r["goldstein"]) <= 10
    assert {r["root"] for r in rows} == {f"{i:02d}" for i in range(1, 21)}


def test_cameo_root() -> None:
    assert tx.cameo_root("0233") == "02"
    assert tx.cameo_root("19") == "19"
    for bad in ("", "7", "21", "00", "12345", "1a2", "-12"):
        with pytest.raises(ValueError):
            tx.cameo_root(bad)


@given(st.text(max_size=6))
def test_cameo_root_is_the_first_two_digits_or_raises(code: str) -> None:
    try:
        root = tx.cameo_root(code)
    except ValueError:
        return
    assert root == code.strip()[:2] and 1 <= int(root) <= 20


@pytest.mark.parametrize(
    "code",
    [
        "020", "030", "040", "041", "042", "050", "060", "070", "0841", "0871", "090", "111",
        "120", "130", "138", "140", "141", "145", "153", "154", "160", "163", "170", "173",
        "174", "181", "182", "186", "190", "193", "194", "195", "1831", "204",
    ],
)  # fmt: skip
def test_crosswalk_round_trips_for_main_codes(code: str) -> None:
    pair = tx.plover_for_cameo(code)
    assert pair is not None
    assert tx.cameo_for(*pair) == code


def test_inverse_defaults_round_trip() -> None:
    for r in tx.load_table("plover_to_cameo.tsv"):
        if r["basis"] == "inverse":
            assert tx.plover_for_cameo(r["cameo"]) == (r["category"], r["mode"] or None)


def test_plover_for_cameo() -> None:
    assert tx.plover_for_cameo("0233") == ("REQUEST", "assist")
    assert tx.plover_for_cameo("1031") == ("REQUEST", "assist")
    assert tx.plover_for_cameo("193") == ("ASSAULT", "firearms")
    assert tx.plover_for_cameo("1712") == ("ASSAULT", "destroy")
    assert tx.plover_for_cameo("18") == ("ASSAULT", None)
    assert tx.plover_for_cameo("010") is None  # statements are dropped by PLOVER
    assert tx.plover_for_cameo("999") is None
    for r in tx.load_table("cameo.tsv"):
        pair = tx.plover_for_cameo(r["code"])
        if pair is not None:
            assert tx.is_valid(*pair)


def test_goldstein() -> None:
    assert tx.goldstein("190") == -10
    assert tx.goldstein("057") == 8
    assert tx.goldstein("0874") == 10
    assert tx.goldstein("1214") == tx.goldstein("121")
    assert tx.goldstein("0219") == tx.goldstein("021")  # unlisted code: nearest listed parent
    assert tx.goldstein("9999") is None


# --- ACLED -----------------------------------------------------------------------------------


def test_acled_rows_use_acled_spellings_and_cover_all_sub_types() -> None:
    rows = tx.load_table("plover_to_acled.tsv")
    for r in rows:
        assert tx.ACLED_SUBTYPES[r["acled_subtype"]] == r["acled_type"]
    assert {r["acled_subtype"] for r in rows} == set(tx.ACLED_SUBTYPES)
    assert len(tx.ACLED_SUBTYPES) == 25 and len(tx.ACLED_EVENT_TYPES) == 6


def test_firearms_on_civilians_differs_from_firearms_on_armed_actors() -> None:
    on_civilians = tx.acled_for("ASSAULT", "firearms", source_armed=True, target_armed=False)
    on_armed = tx.acled_for("ASSAULT", "firearms", source_armed=True, target_armed=True)
    assert on_civilians == ("Violence against civilians", "Attack")
    assert on_armed == ("Battles", "Armed clash")


_B, _E, _V = "Battles", "Explosions/Remote violence", "Violence against civilians"
_P, _R, _S = "Protests", "Riots", "Strategic developments"
_ARMED_ON_CIVILIANS = {"source_armed": True, "target_armed": False}
_ARMED_ON_ARMED = {"source_armed": True, "target_armed": True}

ACLED_CASES = [
    ("ASSAULT", "aerial", _ARMED_ON_CIVILIANS, (_E, "Air/drone strike")),
    ("ASSAULT", "drone", {}, (_E, "Air/drone strike")),
    ("ASSAULT", "heavy-weapons", _ARMED_ON_ARMED, (_E, "Shelling/artillery/missile attack")),
    ("ASSAULT", "explosives", {}, (_E, "Remote explosive/landmine/IED")),
    ("ASSAULT", "explosives", {"context": "grenade"}, (_E, "Grenade")),
    ("ASSAULT", "suicide-attack", {}, (_E, "Suicide bomb")),
    ("ASSAULT", "unconventional", {}, (_E, "Chemical weapon")),
    ("ASSAULT", "sexual", _ARMED_ON_CIVILIANS, (_V, "Sexual violence")),
    ("ASSAULT", "abduct", _ARMED_ON_CIVILIANS, (_V, "Abduction/forced disappearance")),
    ("ASSAULT", None, _ARMED_ON_CIVILIANS, (_V, "Attack")),
    ("ASSAULT", None, {"source_armed": False, "target_armed": False}, (_R, "Mob violence")),
    ("ASSAULT", "primitive", {"source_armed": False}, (_R, "Mob violence")),
    (
        "ASSAULT",
        None,
        {"context": "territory", "source_role": "state"},
        (_B, "Government regains territory"),
    ),
    (
        "ASSAULT",
        "firearms",
        {"context": ["territory"], "source_role": "nonstate"},
        (_B, "Non-state actor overtakes territory"),
    ),
    (
        "ASSAULT",
        "firearms",
        {**_ARMED_ON_CIVILIANS, "context": "protest"},
        (_P, "Excessive force against protesters"),
    ),
    ("ASSAULT", "crowd-control", _ARMED_ON_CIVILIANS, (_P, "Protest with intervention")),
    ("ASSAULT", "explosives", {"context": "disrupted"}, (_S, "Disrupted weapons use")),
    ("PROTEST", "demo", {}, (_P, "Peaceful protest")),
    ("PROTEST", None, {"context": "repression"}, (_P, "Protest with intervention")),
    ("PROTEST", "riot", {}, (_R, "Violent demonstration")),
    ("PROTEST", "riot", {"target_armed": False}, (_R, "Mob violence")),
    ("PROTEST", "riot-spon", {}, (_R, "Violent demonstration")),
    ("COERCE", "arrest", _ARMED_ON_CIVILIANS, (_S, "Arrests")),
    (
        "COERCE",
        "arrest",
        {**_ARMED_ON_CIVILIANS, "context": "protest"},
        (_P, "Protest with intervention"),
    ),
    ("COERCE", "seize", {}, (_S, "Looting/property destruction")),
    ("RETREAT", "withdraw", {"source_armed": True}, (_S, "Non-violent transfer of territory")),
    ("MOBILIZE", "troops", {"context": "base"}, (_S, "Headquarters or base established")),
    ("AGREE", None, {"source_role": "state", "target_role": "nonstate"}, (_S, "Agreement")),
]


@pytest.mark.parametrize(("category", "mode", "kwargs", "expected"), ACLED_CASES)
def test_acled_mapping(category, mode, kwargs, expected) -> None:
    assert tx.acled_for(category, mode, **kwargs) == expected


def test_no_acled_counterpart() -> None:
    assert tx.acled_for("CONSULT", "visit") is None
    assert tx.acled_for("ACCUSE", "allege", True, True) is None
    assert tx.acled_for("AGREE", None) is None  # agreements count only with an armed party
    assert tx.acled_for("AGREE", None, False, False) is None


def test_roles() -> None:
    assert tx.sector_role("MIL") == "state"
    assert tx.sector_role("reb") == "nonstate"
    assert tx.sector_role("CVL") == "civilian"
    assert tx.sector_role("GOV") is None
    assert tx.sector_role(None) is None
    with pytest.raises(ValueError, match="role"):
        tx.acled_for("ASSAULT", None, source_role="soldier")
    # an explicit role wins over the boolean
    assert tx.acled_for("ASSAULT", "firearms", True, True, target_role="civilian") == (
        "Violence against civilians",
        "Attack",
    )


# --- code() ----------------------------------------------------------------------------------


def test_code_bundles_everything() -> None:
    c = tx.code("assault", "Firearms", source_armed=True, target_armed=False)
    assert c == tx.Coding(
        category="ASSAULT",
        mode="firearms",
        cameo="193",
        quad=4,
        intensity=-9.0,
        goldstein=-10.0,
        cameo_quad=4,
        acled_type="Violence against civilians",
        acled_subtype="Attack",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.cameo = "190"  # type: ignore[misc]


@pytest.mark.parametrize(("category", "mode"), _pairs())
def test_code_works_for_every_pair(category: str, mode: str | None) -> None:
    c = tx.code(category, mode)
    assert (c.category, c.mode) == (category, mode)
    assert c.cameo == tx.cameo_for(category, mode)
    assert c.goldstein == tx.goldstein(c.cameo)
    assert (c.acled_type is None) == (c.acled_subtype is None)
    if c.acled_subtype:
        assert tx.ACLED_SUBTYPES[c.acled_subtype] == c.acled_type


# --- overriding tables -----------------------------------------------------------------------


def _packaged(name: str) -> str:
    return (resources.files("powderkeg") / "data" / "taxonomy" / name).read_text("utf-8")


def test_a_table_can_be_overridden_from_a_directory(tmp_path, monkeypatch) -> None:
    text = _packaged("plover.tsv").replace("AID\t\t2\t10\t", "AID\t\t2\t9\t")
    (tmp_path / "plover.tsv").write_text(text, encoding="utf-8")
    monkeypatch.setenv(tx.TABLES_ENV, str(tmp_path))
    assert tx.intensity("AID") == 9
    assert tx.cameo_for("AID", None) == "070"  # other tables still come from the package
    monkeypatch.delenv(tx.TABLES_ENV)
    assert tx.intensity("AID") == 10
    tx.use_tables(tmp_path)
    assert tx.intensity("AID") == 9


def test_a_malformed_override_is_reported(tmp_path) -> None:
    (tmp_path / "cameo.tsv").write_text("code\tname\n01\tSTATEMENT\n", encoding="utf-8")
    tx.use_tables(tmp_path)
    with pytest.raises(tx.TaxonomyError, match="columns"):
        tx.goldstein("01")
