"""Data dir writing and validation errors."""

import pytest

from ttsf.data.datadir import DataDirError, read_table, validate_data_dir, write_data_dir


def _tables():
    return {
        "wav.scp": {"s1_u2": "/a/2.mp4", "s1_u1": "/a/1.mp4", "s2_u1": "/b/1.mp4"},
        "text": {"s1_u1": "HELLO", "s1_u2": "IT'S ME", "s2_u1": "BYE"},
        "utt2spk": {"s1_u1": "s1", "s1_u2": "s1", "s2_u1": "s2"},
        "utt2dur": {"s1_u1": "1.2", "s1_u2": "2.0", "s2_u1": "0.8"},
    }


def test_write_sorted_and_valid(tmp_path):
    out = write_data_dir(tmp_path / "d", _tables())
    assert validate_data_dir(out) == 3
    assert (out / "wav.scp").read_text().splitlines()[0] == "s1_u1 /a/1.mp4"
    assert read_table(out / "spk2utt") == {"s1": "s1_u1 s1_u2", "s2": "s2_u1"}


def _corrupt(tmp_path, name, content):
    out = write_data_dir(tmp_path / "d", _tables())
    (out / name).write_text(content)
    return out


@pytest.mark.parametrize(
    "name, content, what",
    [
        ("text", "s1_u1 HELLO\ns1_u2\ns2_u1 BYE\n", r"text:2: key 's1_u2' has an empty value"),
        ("text", "s1_u1 HELLO\ns1_u1 HI\ns2_u1 BYE\n", r"text:2: duplicated key 's1_u1'"),
        ("text", "s1_u2 HI\ns1_u1 HELLO\ns2_u1 BYE\n", r"text:2: not sorted"),
        (
            "text",
            "s1_u1 HELLO\ns2_u1 BYE\n",
            r"text: keys differ from utt2spk: missing \['s1_u2'\]",
        ),
        ("utt2dur", "s1_u1 1\ns1_u2 -2\ns2_u1 1\n", r"utt2dur:2: 's1_u2' needs a positive number"),
        ("spk2utt", "s1 s1_u1\ns2 s2_u1\n", r"spk2utt: does not match utt2spk"),
    ],
)
def test_validation_errors_name_file_and_line(tmp_path, name, content, what):
    out = _corrupt(tmp_path, name, content)
    with pytest.raises(DataDirError, match=what):
        validate_data_dir(out)


def test_missing_required_file(tmp_path):
    out = write_data_dir(tmp_path / "d", _tables())
    (out / "wav.scp").unlink()
    with pytest.raises(DataDirError, match=r"wav.scp: missing file"):
        validate_data_dir(out)


def test_invalid_tables_never_appear(tmp_path):
    t = _tables()
    t["text"]["s1_u2"] = ""
    with pytest.raises(DataDirError, match="empty value"):
        write_data_dir(tmp_path / "d", t)
    assert not (tmp_path / "d").exists()
    assert list(tmp_path.iterdir()) == []  # the temporary directory is gone too
