"""Matcha-TTS: shapes with padding, masking, CFM training on one batch, identity conditioning."""

import pytest
import torch

from ttsf.registry import get_registry

STYLE_DIM = 16
TINY = {
    "spk_emb_dim": 8,
    "encoder_conf": {"n_channels": 32, "filter_channels": 64, "filter_channels_dp": 32,
                     "n_heads": 2, "n_layers": 2, "p_dropout": 0.0},
    "decoder_conf": {"channels": [32, 32], "attention_head_dim": 16, "dropout": 0.0},
}  # fmt: skip


def _model(cond="face_id", cond_conf=None, n_feats=12, **kw):
    torch.manual_seed(0)
    conf = {**TINY, "n_feats": n_feats, "tts_conditioning": cond, **kw}
    conf["tts_conditioning_conf"] = (
        cond_conf
        if cond_conf is not None
        else ({"style_dim": STYLE_DIM} if cond == "face_id" else {})
    )
    return get_registry("tts").build("matcha", conf, vocab_size=20).eval()


def _batch(n_feats=12):
    g = torch.Generator().manual_seed(1)
    text = torch.randint(1, 20, (3, 9), generator=g)
    text_lengths = torch.tensor([9, 5, 7])
    feats = torch.randn(3, n_feats, 40, generator=g)
    feats_lengths = torch.tensor([40, 23, 31])
    for i in range(3):  # zero padding, as the collate writes it
        text[i, text_lengths[i] :] = 0
        feats[i, :, feats_lengths[i] :] = 0
    return text, text_lengths, feats, feats_lengths


def test_forward_shapes_and_finite_losses():
    model = _model()
    text, tl, feats, fl = _batch()
    f_id = torch.randn(3, STYLE_DIM)
    out = model(text, tl, feats, fl, cond=f_id)
    assert out["loss"].dim() == 0 and torch.isfinite(out["loss"])
    assert set(out["stats"]) == {"loss", "dur_loss", "prior_loss", "cfm_loss"}
    assert out["weight"] == 3
    assert out["mu"].shape == (3, 12, 40) and out["energy"].shape == (3, 1, 40)
    assert out["text_emb_up"].shape == (3, model.text_emb_dim, 40)
    torch.testing.assert_close(out["durations"].sum(1), fl)  # MAS covers every valid frame
    out["loss"].backward()
    assert model.conditioning.proj.weight.grad.abs().sum() > 0  # the face reaches the loss


def test_inference_shapes_and_padding_invariance():
    model = _model()
    text, tl, _, _ = _batch()
    f_id = torch.randn(3, STYLE_DIM)
    out = model.inference(text, tl, cond=f_id, n_timesteps=3, temperature=0.0)
    t_mel = int(out["mel_lengths"].max())
    assert out["mel"].shape == (3, 12, t_mel)
    assert out["mu"].shape == (3, 12, t_mel) and out["energy"].shape == (3, 1, t_mel)
    assert out["text_emb_up"].shape == (3, model.text_emb_dim, t_mel)
    torch.testing.assert_close(out["durations"].sum(1), out["mel_lengths"])
    torch.testing.assert_close(out["energy"], out["mu"].mean(1, keepdim=True))
    for i in range(3):
        n, m = int(tl[i]), int(out["mel_lengths"][i])
        assert out["mel"][i, :, m:].abs().sum() == 0
        # Alone (no padding) the item gives the same mel: padding does not leak in.
        alone = model.inference(
            text[i : i + 1, :n], tl[i : i + 1], cond=f_id[i : i + 1], n_timesteps=3,
            temperature=0.0,
        )  # fmt: skip
        assert int(alone["mel_lengths"][0]) == m
        torch.testing.assert_close(alone["mel"][0], out["mel"][i, :, :m], atol=1e-4, rtol=1e-4)


def test_given_durations_replace_the_predicted_ones():
    model = _model()
    text, tl, _, _ = _batch()
    f_id = torch.randn(3, STYLE_DIM)
    free = model.inference(text, tl, cond=f_id, n_timesteps=3, temperature=0.0)
    # its own durations give back the same speech, whatever length_scale says
    same = model.inference(text, tl, cond=f_id, n_timesteps=3, temperature=0.0,
                           durations=free["durations"], length_scale=3.0)  # fmt: skip
    torch.testing.assert_close(same["mel"], free["mel"])
    # a token held one frame longer: the speech is one frame longer, the rest follows
    longer = free["durations"].clone()
    longer[:, 0] += 1
    out = model.inference(text, tl, cond=f_id, n_timesteps=3, temperature=0.0, durations=longer)
    torch.testing.assert_close(out["mel_lengths"], free["mel_lengths"] + 1)
    torch.testing.assert_close(out["durations"], longer)
    with pytest.raises(ValueError, match="at least one frame per token"):
        model.inference(text, tl, cond=f_id, n_timesteps=3, durations=longer * 0)
    with pytest.raises(ValueError, match=r"\(B, T_text\)"):
        model.inference(text, tl, cond=f_id, n_timesteps=3, durations=longer[:, :-1])


def test_log_durations_are_the_predictors_and_move_only_the_speaker_embedding():
    """log_durations is what inference rounds into frames, without dropout even in training
    mode, and its gradient reaches the speaker embedding but none of the TTS's weights."""
    model = _model(encoder_conf={**TINY["encoder_conf"], "p_dropout": 0.5})
    text, tl, _, _ = _batch()
    f_id = torch.randn(3, STYLE_DIM)
    spk = model.speaker_embedding(f_id, 3).detach().requires_grad_()
    model.train()
    logw = model.log_durations(text, tl, spk)
    assert model.encoder.training  # its mode is restored
    model.eval()
    x_mask = (torch.arange(text.shape[1])[None] < tl[:, None]).float()
    assert logw[x_mask == 0].abs().sum() == 0  # zero at padded tokens
    speech = model.inference(text, tl, cond=f_id, n_timesteps=2, temperature=0.0)
    torch.testing.assert_close(
        speech["durations"], (torch.ceil(torch.exp(logw.detach())) * x_mask).long()
    )
    logw.pow(2).sum().backward()
    assert spk.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.parameters())


def test_masked_positions_do_not_change_outputs():
    model = _model()
    text, tl, feats, fl = _batch()
    f_id = torch.randn(3, STYLE_DIM)
    text2, feats2 = text.clone(), feats.clone()
    for i in range(3):
        text2[i, tl[i] :] = 7  # garbage in the padding
        feats2[i, :, fl[i] :] = 5.0
    torch.manual_seed(3)
    a = model(text, tl, feats, fl, cond=f_id)
    torch.manual_seed(3)
    b = model(text2, tl, feats2, fl, cond=f_id)
    torch.testing.assert_close(a["loss"], b["loss"])
    torch.testing.assert_close(a["durations"], b["durations"])
    ia = model.inference(
        text, tl, cond=f_id, n_timesteps=2, generator=torch.Generator().manual_seed(0)
    )
    ib = model.inference(
        text2, tl, cond=f_id, n_timesteps=2, generator=torch.Generator().manual_seed(0)
    )
    torch.testing.assert_close(ia["mel"], ib["mel"])


def test_identity_vectors_and_seeds():
    model = _model()
    text, tl, _, _ = _batch()
    text, tl = text[:1], tl[:1]
    torch.manual_seed(5)
    f1, f2 = torch.randn(1, STYLE_DIM), torch.randn(1, STYLE_DIM)

    def synth(f, seed):
        g = torch.Generator().manual_seed(seed)
        return model.inference(text, tl, cond=f, n_timesteps=4, generator=g)["mel"]

    torch.testing.assert_close(synth(f1, 0), synth(f1, 0), rtol=0, atol=0)
    a, b = synth(f1, 0), synth(f2, 0)
    if a.shape == b.shape:
        assert (a - b).abs().mean() > 1e-3
    assert not torch.equal(synth(f1, 0), synth(f1, 1))  # the seed matters


def test_length_scale_slows_speech():
    model = _model()
    text, tl, _, _ = _batch()
    fast = model.inference(
        text, tl, cond=torch.zeros(3, STYLE_DIM), n_timesteps=1, length_scale=0.5
    )
    slow = model.inference(
        text, tl, cond=torch.zeros(3, STYLE_DIM), n_timesteps=1, length_scale=2.0
    )
    assert (slow["mel_lengths"] > fast["mel_lengths"]).all()


def test_face_id_zero_init_loads_none_checkpoint():
    pre = _model("none", {"keep_channels": True})
    state = pre.state_dict()
    fine = _model("face_id", {"style_dim": STYLE_DIM, "zero_init": True})
    missing, unexpected = fine.load_state_dict(state, strict=False)
    assert sorted(missing) == ["conditioning.proj.bias", "conditioning.proj.weight"]
    assert unexpected == []
    text, tl, _, _ = _batch()
    g = torch.Generator
    a = pre.inference(text, tl, n_timesteps=2, generator=g().manual_seed(0))["mel"]
    b = fine.inference(text, tl, cond=torch.randn(3, STYLE_DIM), n_timesteps=2,
                       generator=g().manual_seed(0))["mel"]  # fmt: skip
    torch.testing.assert_close(a, b)


@pytest.mark.parametrize("cond, conf, value", [
    ("spk_id", {"n_spks": 3}, torch.tensor([0, 2, 1])),
    ("xvector", {"xvector_dim": 6}, torch.randn(3, 6)),
    ("none", {}, None),
])  # fmt: skip
def test_other_conditionings(cond, conf, value):
    model = _model(cond, conf)
    text, tl, feats, fl = _batch()
    assert torch.isfinite(model(text, tl, feats, fl, cond=value)["loss"])
    assert model.inference(text, tl, cond=value, n_timesteps=1)["mel"].shape[:2] == (3, 12)


def test_wrong_condition_is_a_clear_error():
    model = _model()
    text, tl, feats, fl = _batch()
    with pytest.raises(ValueError, match=r"face_id.*\(3, 16\)"):
        model(text, tl, feats, fl, cond=torch.randn(3, 5))


def test_cfm_loss_falls_on_one_batch():
    torch.manual_seed(0)
    model = _model(n_feats=8).train()
    text, tl, feats, fl = _batch(n_feats=8)
    f_id = torch.randn(3, STYLE_DIM)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)

    def cfm_eval():
        torch.manual_seed(123)  # the same t and noise each time: a fair comparison
        with torch.no_grad():
            return float(model(text, tl, feats, fl, cond=f_id)["stats"]["cfm_loss"])

    start = cfm_eval()
    for _ in range(200):
        opt.zero_grad()
        model(text, tl, feats, fl, cond=f_id)["loss"].backward()
        opt.step()
    end = cfm_eval()
    assert end < 0.6 * start, (start, end)


def test_unpadded_fast_path_equals_the_masked_computation():
    from ttsf.tts.unet_decoder import UNetDecoder

    torch.manual_seed(0)
    unet = UNetDecoder(n_feats=8, spk_emb_dim=4, channels=(16, 16), attention_head_dim=8,
                       num_mid_blocks=1).eval()  # fmt: skip
    x, mu, spk, t = torch.randn(2, 8, 12), torch.randn(2, 8, 12), torch.randn(2, 4), torch.rand(2)
    ones = torch.ones(2, 1, 12)
    fast = unet(x, ones, mu, t, spk)  # mask.all(): mask=None inside
    # the masked path on the same frames: a padded batch whose padding is cut off afterwards
    pad = torch.nn.functional.pad
    masked = unet(pad(x, (0, 4)), pad(ones, (0, 4)), pad(mu, (0, 4)), t, spk)[..., :12]
    torch.testing.assert_close(fast, masked, rtol=1e-4, atol=1e-5)
