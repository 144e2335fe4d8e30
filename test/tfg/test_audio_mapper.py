import pytest
import torch
import torch.nn.functional as F

from ttsf.tfg.abs_audio_mapper import audio_mapper_registry
from ttsf.tfg.audio_mapper import MRFAudioMapper, interpolate_lengths, video_frame_count


def tiny(**kw) -> MRFAudioMapper:
    conf = dict(emb_dim=3, n_mels=5, style_dim=4, hidden=6)
    conf.update(kw)
    torch.manual_seed(0)
    return audio_mapper_registry.build("mrf", conf).eval()


def inputs(b: int, t: int, emb_dim: int = 3, n_mels: int = 5, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    emb, mu = torch.randn(b, emb_dim, t, generator=g), torch.randn(b, n_mels, t, generator=g)
    return emb, mu, mu.mean(1, keepdim=True)


def check_all_lengths(mapper: MRFAudioMapper, lengths: torch.Tensor) -> None:
    """Every mel length -> exactly ceil(L / 4) non-zero video frames, in batches of 50
    neighbouring lengths (one batched forward per chunk)."""
    for chunk in lengths.split(50):
        t = int(chunk.max())
        x = torch.randn(len(chunk), 1, t)
        with torch.no_grad():
            f_a = mapper(x, None, None, chunk)
        want = video_frame_count(chunk)
        assert f_a.shape == (len(chunk), int(want.max()), mapper.style_dim)
        got = (f_a.abs().sum(-1) > 0).sum(1)
        assert torch.equal(got, want), (chunk[got != want][:5], got[got != want][:5])


def test_output_length_every_mel_length_4_to_4000_replicate():
    # The paper's receptive field (kernels 3/7/11, dilations 1/3/5, shrink 126) on 1 channel.
    torch.manual_seed(0)
    mapper = MRFAudioMapper(
        emb_dim=1, style_dim=1, hidden=1, inputs=["emb"], use_weight_norm=False
    ).eval()
    assert mapper.shrink == 126
    check_all_lengths(mapper, torch.arange(4, 4001))


def test_output_length_every_mel_length_4_to_4000_stretch():
    # A shallower net so the literal "shrink then stretch" path is cheap; lengths below
    # shrink + 1 take the replicate-extension path, the rest the valid-only one.
    torch.manual_seed(0)
    mapper = MRFAudioMapper(
        emb_dim=1,
        style_dim=1,
        hidden=1,
        inputs=["emb"],
        kernels=[3],
        dilations=[[1, 3]],
        pre_kernel=3,
        edge="stretch",
        use_weight_norm=False,
    ).eval()
    assert mapper.shrink == 2 + (2 * 2 + 2 * 4)  # pre + sum over dilations of (k-1)(d+1)
    check_all_lengths(mapper, torch.arange(4, 4001))


@pytest.mark.parametrize("edge", ["replicate", "stretch"])
def test_padding_never_reaches_valid_frames(edge):
    mapper = tiny(edge=edge)
    lengths = torch.tensor([300, 131, 4, 57])
    emb, mu, energy = inputs(4, 300)
    out = mapper(emb, mu, energy, lengths)
    pad = torch.arange(300)[None, None, :] >= lengths[:, None, None]
    noisy = [t.masked_fill(pad, 1e3) + 50 * torch.randn_like(t) * pad for t in (emb, mu, energy)]
    out2 = mapper(*noisy, lengths)
    torch.testing.assert_close(out, out2, rtol=0, atol=1e-5)
    # ... and each item equals the item computed alone on its exact-length input
    for b, n in enumerate(lengths.tolist()):
        alone = mapper(
            emb[b : b + 1, :, :n],
            mu[b : b + 1, :, :n],
            energy[b : b + 1, :, :n],
            lengths[b : b + 1],
        )
        n_v = int(video_frame_count(lengths[b : b + 1]))
        torch.testing.assert_close(out[b : b + 1, :n_v], alone, rtol=1e-5, atol=1e-5)
        assert out[b, n_v:].abs().max() == 0 if n_v < out.shape[1] else True


def test_explicit_n_frames_and_energy_default():
    mapper = tiny()
    emb, mu, energy = inputs(2, 40)
    lengths = torch.tensor([40, 21])
    out = mapper(emb, mu, energy, lengths)
    assert out.shape == (2, 10, 4)
    # energy=None is the channel mean of mu (the paper's definition)
    torch.testing.assert_close(mapper(emb, mu, None, lengths), out)
    # a caller with the real video frame count (here one frame more / fewer) gets exactly it
    out2 = mapper(emb, mu, energy, lengths, n_frames=torch.tensor([11, 5]))
    assert out2.shape == (2, 11, 4)
    assert (out2.abs().sum(-1) > 0).sum(1).tolist() == [11, 5]


def test_shift_equivariance_in_the_interior():
    # 4 mel frames later in the input = 1 video frame later in the output (away from the edges
    # where the replicated frames differ): the valid convs keep the output centred on its input.
    mapper = tiny()
    emb, mu, energy = inputs(1, 400)
    a = mapper(emb, mu, energy, torch.tensor([400]))
    b = mapper(emb[..., 4:], mu[..., 4:], energy[..., 4:], torch.tensor([396]))
    margin = mapper.shrink // 4 + 2
    torch.testing.assert_close(a[:, 1 + margin : 99 - margin], b[:, margin : 98 - margin])


def test_ablation_inputs_are_one_config_line():
    full, no_energy, emb_only = tiny(), tiny(inputs=["emb", "mu"]), tiny(inputs=["emb"])
    assert full.conv_pre.parametrizations.weight.original1.shape[1] == 3 + 5 + 1
    assert no_energy.conv_pre.parametrizations.weight.original1.shape[1] == 3 + 5
    assert emb_only.conv_pre.parametrizations.weight.original1.shape[1] == 3
    emb, _, _ = inputs(1, 12)
    assert emb_only(emb, None, None, torch.tensor([12])).shape == (1, 3, 4)
    with pytest.raises(ValueError, match="were not given"):
        no_energy(emb, None, None, torch.tensor([12]))
    with pytest.raises(ValueError, match="distinct names"):
        tiny(inputs=["emb", "pitch"])


def test_gradients_reach_every_input_and_parameter():
    mapper = tiny().train()
    emb, mu, energy = (t.requires_grad_() for t in inputs(2, 30))
    mapper(emb, mu, energy, torch.tensor([30, 17])).square().sum().backward()
    for t in (emb, mu, energy):
        assert t.grad.abs().sum() > 0
        assert t.grad[1, :, 17:].abs().max() == 0  # nothing flows into the padding
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in mapper.parameters())


def test_interpolate_lengths_matches_torch_interpolate():
    torch.manual_seed(0)
    x = torch.randn(3, 2, 50)
    in_len, out_len = torch.tensor([50, 13, 1]), torch.tensor([13, 40, 3])
    y = interpolate_lengths(x, in_len, out_len)
    for b in range(3):
        ref = F.interpolate(
            x[b : b + 1, :, : in_len[b]], size=int(out_len[b]), mode="linear", align_corners=False
        )
        torch.testing.assert_close(y[b : b + 1, :, : out_len[b]], ref)
        assert y[b, :, out_len[b] :].abs().sum() == 0


def test_bad_lengths_are_reported():
    mapper = tiny()
    emb, mu, energy = inputs(1, 8)
    with pytest.raises(ValueError, match="mel_lengths"):
        mapper(emb, mu, energy, torch.tensor([9]))
    with pytest.raises(ValueError, match="odd"):
        tiny(kernels=[4], dilations=[[1]])
    with pytest.raises(ValueError, match="'mu' has 4 channels"):
        mapper(emb, mu[:, :4], energy, torch.tensor([8]))


def test_paper_default_size():
    mapper = MRFAudioMapper(emb_dim=192)
    n = sum(p.numel() for p in mapper.parameters())
    assert 8.8e6 < n < 9.0e6  # 8,888,064 with hidden 256, kernels 3/7/11 x dilations 1/3/5
    assert mapper.shrink == 126
