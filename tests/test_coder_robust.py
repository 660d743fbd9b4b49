"""The coder on odd text: fragments, bare dates, lists and headlines never raise or hang."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

WORDS = [
    "Monday", "last", "week", "2019", "3", "March", "yesterday", "night", "the", "rebels", "attacked", "police",
    "army", "Kabul", "Serbia", "Kosovo", "said", "on", "in", "of", "and", ",", ".", "-", "(", ")", "killed", "two",
    "people", "protest", "will", "not", "if", "they", "it", "its", "ethnic", "Serb", "Albanians", "bombing",
    "clashes", "early", "morning", "today", "ago", "years", "would", "threatened", "to", "deploy", "troops",
]  # fmt: skip


def test_fragments(pipeline):
    for text in ["Yesterday.", "Monday, 3 March 2019.", "Last week:", "Clashes.", "(AP) -", "2008", "If.", "..."]:
        coded = pipeline.code_text(text, published="2024-03-06")
        assert isinstance(coded.events, list)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=30))
def test_word_salad_never_raises(pipeline, words):
    coded = pipeline.code_text(" ".join(words), published="2024-03-06")
    for event in coded.events:
        assert event.type and event.sentence
        assert 0 <= event.sentence_start < event.sentence_end
