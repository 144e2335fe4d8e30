"""ttsf-score end to end with the offline back-ends on espeak-ng speech and the astronaut face."""

import json
import shutil
import subprocess

import numpy as np
import pytest
import yaml

from ttsf.audio.io import load_wav, save_wav
from ttsf.bin.score import main
from ttsf.video.io import write_video

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

#: utt -> (speaker, espeak-ng voice, text)
UTTS = {
    "a1": ("spkA", "en-us", "the quick brown fox jumps over the lazy dog"),
    "a2": ("spkA", "en-us", "she sells sea shells by the sea shore"),
    "b1": ("spkB", "en-us+f3", "peter piper picked a peck of pickled peppers"),
}


def espeak(path, voice, text, rate):
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(path), text], check=True)
    save_wav(path, load_wav(path, 16000))  # espeak-ng writes 22.05 kHz: make it 16 kHz


def astronaut_video(n: int, sway_deg: float) -> np.ndarray:
    import cv2
    import skimage.data

    face = cv2.resize(skimage.data.astronaut()[21:221, 120:320], (256, 256))
    angles = sway_deg * np.sin(np.linspace(0, 2 * np.pi, n))
    return np.stack([cv2.warpAffine(face, cv2.getRotationMatrix2D((128, 128), a, 1.0), (256, 256))
                     for a in angles])  # fmt: skip


def make_dirs(root, utts):
    hyp, ref = root / "decode", root / "dump"
    hyp.mkdir()
    ref.mkdir()
    scp = {"wav.scp": [], "frames.scp": [], "text": [], "utt2spk": []}
    for utt, (spk, voice, text) in utts.items():
        espeak(ref / f"{utt}.wav", voice, text, 130)
        espeak(hyp / f"{utt}.wav", voice, text, 140)  # the "synthesis": same voice, faster
        wav = load_wav(hyp / f"{utt}.wav")
        n = int(len(wav) / 16000 * 25)
        video = astronaut_video(n, 0.0 if utt == "a1" else 6.0)
        write_video(hyp / f"{utt}.mp4", video, 25, audio=wav)
        write_video(ref / f"{utt}.mp4", video, 25)
        scp["wav.scp"].append(f"{utt} {ref / (utt + '.wav')}")
        scp["frames.scp"].append(f"{utt} {ref / (utt + '.mp4')}")
        scp["text"].append(f"{utt} {text}")
        scp["utt2spk"].append(f"{utt} {spk}")
    for name, lines in scp.items():
        (ref / name).write_text("\n".join(lines) + "\n")
    (hyp / "text").write_text("\n".join(scp["text"]) + "\n")
    return hyp, ref


def run(tmp_path, utts, conf, capsys):
    hyp, ref = make_dirs(tmp_path, utts)
    (tmp_path / "score.yaml").write_text(yaml.safe_dump(conf))
    out = tmp_path / "scores"
    args = ["--config", str(tmp_path / "score.yaml"), "--hyp_dir", str(hyp), "--ref_dir", str(ref)]
    rc = main([*args, "--out_dir", str(out), "--system_name", "espeak"])
    captured = capsys.readouterr()
    printed = captured.out
    assert rc == 0, captured.err
    rows = [json.loads(x) for x in (out / "scores.jsonl").read_text().splitlines()]
    summary = json.loads((out / "summary.json").read_text())["metrics"]
    return rows, summary, printed, out


def test_score_quick_offline(tmp_path, capsys):
    conf = {"metrics": ["mcd", "f0_rmse", "id_sim", "div", "fid", "lse"],
            "metric_conf": {"id_sim": {"backend": "dlib", "frame_stride": 10},
                            "div": {"backend": "dlib_pnp", "frame_stride": 4}}}  # fmt: skip
    rows, summary, printed, out = run(tmp_path, {"a1": UTTS["a1"]}, conf, capsys)
    (row,) = rows
    assert 0 < row["mcd"] < 15 and row["mcd_c0"] >= row["mcd"]
    assert 0 <= row["f0_rmse"] < 60
    # a still frame against itself (H.264 makes later frames differ by a hair)
    assert row["id_sim"] == pytest.approx(1.0, abs=1e-3)
    assert row["div_deg"] < 0.5  # a still head (compression jitters the landmarks slightly)
    for name in ("fid", "lse"):  # no weights configured: reported, never a number
        assert summary[name]["status"].startswith("not run:") and not summary[name]["values"]
    assert "not run" in printed and "| espeak |" in printed
    assert (out / "table.csv").is_file() and "MCD ↓" in (out / "table.md").read_text()


@pytest.mark.slow
def test_score_full_offline_backends(tmp_path, capsys):
    with open("egs/mini/conf/score.yaml") as f:
        conf = yaml.safe_load(f)
    rows, summary, printed, out = run(tmp_path, UTTS, conf, capsys)
    print(printed)
    by = {r["utt"]: r for r in rows}
    for r in rows:
        print(r["utt"], {k: v for k, v in r.items() if k not in ("utt", "spk")})
    # pocketsphinx on espeak-ng speech: a real, imperfect transcription
    assert all(0 <= r["wer"] <= 200 for r in rows) and "asr_text" in by["a1"]
    # resemblyzer: same voice (ref vs faster hyp) is closer than a different voice
    from ttsf.metrics.cs_sim import CSim

    cs = CSim(backend="resemblyzer")
    diff = cs.score({"hyp_wav": load_wav(tmp_path / "decode" / "a1.wav"),
                     "ref_wav": load_wav(tmp_path / "dump" / "b1.wav")})["cs_sim"]  # fmt: skip
    print("resemblyzer same voice", [by[u]["cs_sim"] for u in UTTS], "different voice", diff)
    assert min(by[u]["cs_sim"] for u in UTTS) > diff
    assert by["a1"]["id_sim"] == pytest.approx(1.0, abs=1e-3)
    assert by["a2"]["div"] > 5 * by["a1"]["div"] and by["a1"]["div_deg"] < 0.5
    assert summary["wer"]["values"]["wer"]["corpus"] is not None
    assert (out / "tsne.png").stat().st_size > 1000


def test_paper_config_without_weight_files_reports_not_run(tmp_path, capsys):
    with open("egs/lrs3/conf/score.yaml") as f:
        conf = yaml.safe_load(f)
    conf["metrics"].remove("f0_rmse")  # keep it quick
    conf["metric_conf"].pop("f0_rmse")
    rows, summary, printed, _ = run(tmp_path, {"a1": UTTS["a1"]}, conf, capsys)
    for name in ("wer", "cs_sim", "fid", "id_sim", "lse", "div"):
        assert summary[name]["status"].startswith("not run:"), name
        assert "does not exist" in summary[name]["status"] and name not in rows[0]
    assert summary["mcd"]["status"] == "ok" and "mcd" in rows[0]


def test_config_errors_are_clear(tmp_path, capsys):
    (tmp_path / "c.yaml").write_text("metrics: [wer]\nmetric_conf: {wer: {beam: 3}}\n")
    rc = main(["--config", str(tmp_path / "c.yaml"), "--hyp_dir", str(tmp_path),
               "--ref_dir", str(tmp_path), "--out_dir", str(tmp_path / "o")])  # fmt: skip
    assert rc == 2 and "unknown key(s) ['beam']" in capsys.readouterr().err
