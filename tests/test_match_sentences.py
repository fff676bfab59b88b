"""split_sentences: abbreviations, initials, quotes, newlines, offsets."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.match import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One. Two! Three? Four", ["One.", "Two!", "Three?", "Four"]),
        ("Mr. Musk met Dr. Smith. They talked.", ["Mr. Musk met Dr. Smith.", "They talked."]),
        ("Tesla Inc. said so. Shares rose.", ["Tesla Inc. said so.", "Shares rose."]),
        ("U.S. officials said so. Others did not.", ["U.S. officials said so.", "Others did not."]),
        (
            "It happened in the U.S. The next day, more.",
            ["It happened in the U.S.", "The next day, more."],
        ),
        ("Donald J. Trump won.", ["Donald J. Trump won."]),
        ("On Oct. 24 the report ran.", ["On Oct. 24 the report ran."]),
        ("It ran at 3 p.m. Then it spread.", ["It ran at 3 p.m.", "Then it spread."]),
        ("See No. 10 for that. Yes.", ["See No. 10 for that.", "Yes."]),
        ("version 2.5 is out.", ["version 2.5 is out."]),
        ("Wait... What?", ["Wait...", "What?"]),
        # quotes: a closing quote stays with its sentence; a lower-case word after "?" continues it
        (
            'He said: "It was one call." Then he left.',
            ['He said: "It was one call."', "Then he left."],
        ),
        ('"Is it true?" he asked. No.', ['"Is it true?" he asked.', "No."]),
        (
            "He said “It was one call.” Then he left.",
            ["He said “It was one call.”", "Then he left."],
        ),
        ('It ended. "Never again," he said.', ["It ended.", '"Never again," he said.']),
        ("It ended. (Reuters) More.", ["It ended.", "(Reuters) More."]),
        # newlines: a blank line or a new line starting in capitals ends a sentence
        ("Musk and Putin\nThe report said so", ["Musk and Putin", "The report said so"]),
        ("First para.\n\nsecond para", ["First para.", "second para"]),
        (
            "A line that is hard\nwrapped in the middle.",
            ["A line that is hard\nwrapped in the middle."],
        ),
        ("  \n  ", []),
        ("", []),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert [s.text for s in split_sentences(text)] == expected


def test_offsets() -> None:
    text = "  Peskov spoke.  Musk did not.\n"
    assert [(s.start, s.end) for s in split_sentences(text)] == [(2, 15), (17, 30)]


@given(st.text(alphabet='ab AB.?!"\n’()1', max_size=80))
def test_sentences_are_exact_ordered_and_cover_the_text(text: str) -> None:
    sentences = split_sentences(text)
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip() and sentence.text
    for before, after in pairwise(sentences):
        assert before.end <= after.start
        assert not text[before.end : after.start].strip()
    assert "".join(s.text for s in sentences).replace(" ", "").replace("\n", "") == text.replace(
        " ", ""
    ).replace("\n", "")
