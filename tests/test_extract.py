from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from powderkeg.config import Settings
from powderkeg.extract import clean_text_dump, decode_text, extract, language_problem
from powderkeg.model import Document, Status

FIXTURES = Path(__file__).parent / "fixtures"
SEED_TXT = (FIXTURES / "seed" / "seed-article.txt").read_text(encoding="utf-8")
SEED_HTML = (FIXTURES / "seed" / "seed-article.html").read_bytes()


def test_text_dump_keeps_the_report_and_drops_page_furniture():
    title, body = clean_text_dump(SEED_TXT)
    assert title == "Serbia Requests Troop Deployment to Kosovo"
    assert body.startswith("Serbia has formally made a request")
    assert body.rstrip().endswith("have been postponed until April.")
    for furniture in ("Sponsor", "spot_img", "Top Stories", "More In This Category", "Kenyan", "Bilohorivka",
                      "Editor-In-Chief", "Central African Republic", "Unbiased"):  # fmt: skip
        assert furniture not in body
    assert body.count("Serbia Requests Troop Deployment") == 0


def test_text_dump_without_furniture_is_unchanged():
    text = (
        "Police arrested four men after a night of clashes in the port city, officials said on Monday. "
        "The men were charged with arson.\n\nA second paragraph tells more of the story and ends properly."
    )
    _, body = clean_text_dump(text)
    assert "arrested four men" in body and "second paragraph" in body


def test_trailer_heading_before_the_report_does_not_cut_it():
    text = "Related stories\n\n" + "Soldiers clashed with rebels near the border on Tuesday, the army said. " * 3
    _, body = clean_text_dump(text)
    assert "Soldiers clashed" in body


def test_html_page_gives_text_and_metadata():
    article = extract(Document("seed.html", "html", SEED_HTML))
    assert article.status is Status.OK
    assert article.title == "Serbia Requests Troop Deployment to Kosovo"
    assert article.published is not None and article.published.isoformat() == "2022-12-17"
    assert article.site == "Atlas News"
    assert "opened fire on a patrol car" in article.text
    for other in ("Kenyan", "Bilohorivka", "Sponsor", "Editor-In-Chief", "Missile Strikes"):
        assert other not in article.text


def test_same_content_same_id():
    a = extract(Document("a.txt", "text", SEED_TXT.encode()))
    b = extract(Document("b.txt", "text", SEED_TXT.encode()))
    assert a.article_id == b.article_id


@pytest.mark.parametrize(
    ("raw", "kind", "status", "words"),
    [
        (b"", "text", Status.EMPTY, "empty"),
        (b"   \n\n ", "html", Status.EMPTY, "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(200), "html", Status.NOT_TEXT, "PNG"),
        (b"%PDF-1.7 binary", "text", Status.NOT_TEXT, "PDF"),
        (b"\xff\xfe\xfa" * 500, "text", Status.NOT_TEXT, "UTF-8"),
        (b"<html><body><nav>Home</nav></body></html>", "html", Status.NO_CONTENT, "no report text"),
    ],
)
def test_bad_input_gets_a_status_and_a_one_line_reason(raw, kind, status, words):
    article = extract(Document("bad", kind, raw))
    assert article.status is status
    assert article.reason and words in article.reason
    assert "\n" not in article.reason


def test_too_large_is_refused_with_the_limit_named():
    article = extract(Document("big.html", "html", b"<p>x</p>" * 1000), Settings(max_bytes=2000))
    assert article.status is Status.TOO_LARGE
    assert "max_bytes" in (article.reason or "")


def test_a_few_bad_bytes_are_repaired_and_noted():
    raw = ("Police said the attackers fled on foot. " * 20).encode() + b"\xff" + b" More text follows here."
    text, note = decode_text(raw)
    assert text is not None and "\ufffd" in text
    assert note and "repaired" in note


def test_serbian_text_is_not_english():
    serbian = (
        "Srbija je zvanično podnela zahtev Kfor-u da se njene snage bezbednosti rasporede na Kosovu "
        "usled naglog porasta političkih i etničkih tenzija. Predsednik je rekao da je zahtev podnet."
    )
    assert language_problem(serbian)
    article = extract(Document("sr.txt", "text", serbian.encode()))
    assert article.status is Status.NOT_ENGLISH
    assert "not English" in (article.reason or "")


def test_cyrillic_text_is_not_english():
    assert language_problem("Србија је званично поднела захтев Кфору да се њене снаге безбедности распореде на Косову.")


def test_english_text_passes_the_language_check():
    assert language_problem(SEED_TXT) is None


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["html", "text"]))
def test_extract_never_raises_on_arbitrary_bytes(raw, kind):
    article = extract(Document("fuzz", kind, raw))
    assert article.status in set(Status)
    if article.status is not Status.OK:
        assert article.reason


def test_english_full_of_names_is_english():
    text = (
        "Arab League Secretary General Chadli Klibi met Syrian President Hafez al-Assad and Palestinian "
        "leader Yasser Arafat in Damascus on Tuesday."
    )
    assert language_problem(text) is None
