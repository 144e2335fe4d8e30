"""The LRS2/LRS3 transcript parser on files written in the real format."""

import pytest

from ttsf.data.transcript import (
    Transcript,
    TranscriptError,
    Word,
    parse_transcript,
    write_transcript,
)

REAL = (
    "Text:  THAT'S WHAT I WANTED   TO SAY\n"
    "Conf:  4.0\n"
    "\n"
    "WORD START END ASDSCORE\n"
    "THAT'S 0.11 0.35 2.3\n"
    "WHAT 0.35 0.52 4.1\n"
    "I 0.52 0.60 5.0\n"
    "WANTED 0.60 0.95 3.3\n"
    "TO 0.95 1.02 6.1\n"
    "SAY 1.02 1.40 7.2\n"
)


def test_real_lrs3_format(tmp_path):
    p = tmp_path / "00001.txt"
    p.write_text(REAL)
    t = parse_transcript(p)
    assert t.text == "THAT'S WHAT I WANTED TO SAY"  # runs of spaces collapsed, apostrophe kept
    assert t.conf == 4.0
    assert [w.word for w in t.words] == t.text.split()
    assert t.words[0] == Word("THAT'S", 0.11, 0.35, 2.3)
    assert t.words[-1].end == pytest.approx(1.40)


def test_lrs2_main_has_no_word_table_and_odd_spacing(tmp_path):
    p = tmp_path / "00002.txt"
    p.write_text("Text:IF YOU'RE IN A HURRY \r\nConf:   3\r\n")
    t = parse_transcript(p)
    assert t.text == "IF YOU'RE IN A HURRY" and t.conf == 3.0 and t.words == []


def test_write_then_parse_round_trip(tmp_path):
    words = [Word("O'NEILL", 0.0, 0.4, 1.5), Word("SAID", 0.4, 0.7, 2.0), Word("NO", 0.7, 0.9, 3.0)]
    t = Transcript("O'NEILL SAID NO", 5.0, words)
    write_transcript(tmp_path / "a.txt", t)
    assert (tmp_path / "a.txt").read_text().startswith("Text:  O'NEILL SAID NO\nConf:  5.0\n")
    assert parse_transcript(tmp_path / "a.txt") == t


@pytest.mark.parametrize(
    "content, where, what",
    [
        ("Conf: 4\n", ":1:", "Text:"),
        ("Text:   \nConf: 4\n", ":1:", "empty transcription"),
        ("Text:  HI\nConf:  x\n", ":2:", "not a number"),
        ("Text:  HI\n\nWORD START END ASDSCORE\nHI 0.5 0.2 1\n", ":4:", "before it starts"),
        ("Text:  HI\n\nWORD START END ASDSCORE\nHI 0.1\n", ":4:", "WORD START END"),
        ("Text:  HI\nsomething else\n", ":2:", "unexpected line"),
    ],
)
def test_errors_name_file_and_line(tmp_path, content, where, what):
    p = tmp_path / "bad.txt"
    p.write_text(content)
    with pytest.raises(TranscriptError, match=what) as e:
        parse_transcript(p)
    assert f"bad.txt{where}" in str(e.value)
