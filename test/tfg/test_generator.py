"""Flow-based StyleGAN2 generator ``lia_flow`` + its visual encoder, at small sizes."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from ttsf.config import build
from ttsf.tfg.abs_face_generator import face_generator_registry
from ttsf.tfg.flow_warp import ToFlow, identity_grid, warp
from ttsf.tfg.generator import LiaFlowGenerator
from ttsf.tfg.motion_extractor import LiaOrthogonalMotionExtractor, split_identity_motion
from ttsf.tfg.motion_fusion import fuse_styles
from ttsf.tfg.stylegan2_ops import ModulatedConv2d, StyledConv, Upsample


def tiny_generator(size: int, style_dim: int = 32) -> LiaFlowGenerator:
    """Widths 8..32 whatever the size (channel_base = 8 * size)."""
    torch.manual_seed(0)
    return LiaFlowGenerator(size, style_dim, channel_base=8 * size, max_channels=32)


def astronaut(size: int) -> torch.Tensor:
    """skimage's astronaut photo as a (1, 3, size, size) tensor in [-1, 1]."""
    import skimage.data

    img = torch.from_numpy(skimage.data.astronaut()).permute(2, 0, 1).float()[None]
    return F.interpolate(img / 127.5 - 1.0, size=(size, size), mode="area")


@pytest.mark.parametrize("size", [64, 128])
def test_shapes(size):
    g = tiny_generator(size)
    assert g.n_styles == 2 * int(math.log2(size)) - 2
    x = torch.rand(2, 3, size, size) * 2 - 1
    f_v, feats = g.encode(x)
    assert f_v.shape == (2, 32)
    assert [f.shape[-1] for f in feats] == [2**i for i in range(3, int(math.log2(size)) + 1)]
    assert all(f.shape[0] == 2 and f.shape[-2] == f.shape[-1] for f in feats)
    styles = torch.randn(5, g.n_styles, 32)
    out = g.decode(styles, [f[:1] for f in feats])
    assert out.shape == (5, 3, size, size)
    assert torch.isfinite(out).all()


def test_registry_builds_with_conf():
    g = build(
        {"face_generator": "lia_flow", "face_generator_conf": {"image_size": 32, "style_dim": 16}},
        "face_generator",
    )
    assert isinstance(g, LiaFlowGenerator) and g.n_styles == 8
    assert face_generator_registry.default == "lia_flow"


def test_bad_inputs_raise():
    g = tiny_generator(64)
    with pytest.raises(ValueError, match="power of two"):
        LiaFlowGenerator(image_size=96)
    with pytest.raises(ValueError, match=r"\(B, 3, 64, 64\)"):
        g.encode(torch.zeros(1, 3, 32, 32))
    _, feats = g.encode(torch.zeros(1, 3, 64, 64))
    with pytest.raises(ValueError, match="styles must be"):
        g.decode(torch.zeros(2, 3, 32), feats)


def test_source_features_broadcast_over_frames():
    """Encoding once and decoding B frames from batch-1 features == repeating the source."""
    g = tiny_generator(64)
    _, feats = g.encode(torch.rand(1, 3, 64, 64) * 2 - 1)
    styles = torch.randn(4, g.n_styles, 32)
    shared = g.decode(styles, feats)
    repeated = g.decode(styles, [f.expand(4, -1, -1, -1).contiguous() for f in feats])
    torch.testing.assert_close(shared, repeated)
    one = g.decode(styles[2:3], feats)
    torch.testing.assert_close(shared[2:3], one, rtol=1e-4, atol=1e-5)


def test_zero_flow_is_identity_warp():
    torch.manual_seed(0)
    feat = torch.randn(2, 5, 9, 7)
    torch.testing.assert_close(warp(feat, torch.zeros(2, 2, 9, 7)), feat, rtol=0, atol=1e-5)
    # batch-1 features broadcast; a half-pixel shift is the mean of two neighbours.
    grid = identity_grid(9, 7, feat.device, feat.dtype)
    assert grid.shape == (1, 9, 7, 2)
    dx = torch.zeros(1, 2, 9, 7)
    dx[:, 0] = 1.0 / 6  # half a pixel: 7 columns span 2 units -> 1/3 per pixel
    shifted = warp(feat[:1], dx)
    torch.testing.assert_close(
        shifted[..., :-1], 0.5 * (feat[:1, ..., :-1] + feat[:1, ..., 1:]), rtol=0, atol=1e-5
    )


def test_to_flow_starts_as_identity_warp():
    """A fresh flow head has zero offset and mask 0.5 everywhere."""
    torch.manual_seed(0)
    head = ToFlow(8, 16)
    x, feat = torch.randn(2, 8, 16, 16), torch.randn(1, 8, 16, 16)
    sampled, mask, blended, logits = head(x, torch.randn(2, 16), feat)
    assert logits.abs().max() == 0
    torch.testing.assert_close(sampled, feat.expand(2, -1, -1, -1), rtol=0, atol=1e-5)
    torch.testing.assert_close(mask, torch.full((2, 1, 16, 16), 0.5))
    torch.testing.assert_close(blended, 0.5 * sampled + 0.5 * x)
    assert head(x, torch.randn(2, 16), feat, blend=False)[2] is None


@pytest.mark.parametrize("upsample", [False, True])
def test_modulated_conv_matches_per_sample_weights(upsample):
    """Batch-shared weight + input/output scaling == StyleGAN2's per-sample modulated weight."""
    torch.manual_seed(0)
    conv = ModulatedConv2d(6, 4, 3, style_dim=5, upsample=upsample)
    with torch.no_grad():
        conv.modulation.bias.normal_()
    x, style = torch.randn(3, 6, 8, 8), torch.randn(3, 5)
    out = conv(x, style)
    ref = []
    for b in range(3):
        s = conv.modulation(style[b : b + 1])[0]
        w = conv.weight * conv.scale * s[None, :, None, None]
        w = w * torch.rsqrt(w.square().sum(dim=(1, 2, 3), keepdim=True) + 1e-8)
        if upsample:
            y = conv.blur(F.conv_transpose2d(x[b : b + 1], w.transpose(0, 1), stride=2))
        else:
            y = F.conv2d(x[b : b + 1], w, padding=1)
        ref.append(y)
    assert out.shape == (3, 4, 16, 16) if upsample else (3, 4, 8, 8)
    torch.testing.assert_close(out, torch.cat(ref), rtol=1e-4, atol=1e-5)


def test_inference_weight_cache_follows_weight_updates():
    torch.manual_seed(0)
    conv = ModulatedConv2d(4, 4, 3, style_dim=3, upsample=True).eval()
    x, style = torch.randn(1, 4, 5, 5), torch.randn(1, 3)
    with torch.no_grad():
        first = conv(x, style)
        torch.testing.assert_close(conv(x, style), first)  # served from the cache
        conv.weight[0].neg_()  # an in-place update (optimiser step, load_state_dict)
        flipped = conv(x, style)
    torch.testing.assert_close(flipped[:, 0], -first[:, 0])  # output channel 0 flips sign
    torch.testing.assert_close(flipped[:, 1:], first[:, 1:])
    conv.train()
    torch.testing.assert_close(conv(x, style), flipped)  # fresh computation agrees


def test_styled_conv_epilogue_matches_plain_ops():
    """The fused demod + bias + gain + in-place LeakyReLU equals the textbook sequence."""
    torch.manual_seed(0)
    layer = StyledConv(6, 4, style_dim=5, upsample=True)
    with torch.no_grad():
        layer.bias.normal_()
    x, style = torch.randn(2, 6, 8, 8), torch.randn(2, 5)
    ref = F.leaky_relu(layer.conv(x, style) + layer.bias, 0.2) * math.sqrt(2)
    torch.testing.assert_close(layer(x, style), ref)


def test_to_rgb_on_three_channels_matches_masked_features():
    torch.manual_seed(0)
    octave = tiny_generator(32).octaves[0]
    with torch.no_grad():
        octave.to_rgb.bias.normal_()
    sampled, mask = torch.randn(2, 32, 8, 8), torch.rand(2, 1, 8, 8)
    torch.testing.assert_close(
        octave.rgb(sampled, mask), octave.to_rgb(sampled * mask), rtol=1e-4, atol=1e-5
    )


def test_upsample_keeps_constant_images():
    up = Upsample()
    out = up(torch.full((1, 2, 6, 6), 3.0))
    assert out.shape == (1, 2, 12, 12)
    torch.testing.assert_close(out[..., 2:-2, 2:-2], torch.full((1, 2, 8, 8), 3.0))


def _forward(g, m, source, driver):
    """The training path: identity of the source, motion of the driver, random lip feature."""
    f_s, feats = g.encode(source)
    f_id, _ = split_identity_motion(m, f_s)
    f_m = m(g.encode(driver)[0])
    f_a = torch.randn_like(f_s)
    return g.decode(fuse_styles(f_id, f_m, f_s, g.n_styles, f_a=f_a), feats), f_id


def test_gradients_reach_every_module():
    g = tiny_generator(64)
    m = LiaOrthogonalMotionExtractor(32, 8)
    # The flow heads start at zero, and the frame is built from warped source features only,
    # so the synthesis trunk gets gradient once the flow heads have moved (after a step).
    with torch.no_grad():
        for octave in g.octaves:
            octave.to_flow.conv.weight.normal_(std=0.1)
    out, f_id = _forward(g, m, torch.rand(2, 3, 64, 64) * 2 - 1, torch.rand(2, 3, 64, 64) * 2 - 1)
    # f_id also conditions the TTS in joint training. M's last bias moves f_m of source and
    # driver alike, so it cancels in the styles and only f_id sees it.
    ((out - 0.3).abs().mean() + 1e-3 * f_id.square().mean()).backward()
    for name, p in [*g.named_parameters(), *(("M." + n, p) for n, p in m.named_parameters())]:
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_weights_round_trip(tmp_path):
    g = tiny_generator(64)
    with torch.no_grad():
        for p in g.parameters():
            p.add_(0.01 * torch.randn_like(p))
    torch.save(g.state_dict(), tmp_path / "g.pth")
    g2 = LiaFlowGenerator(64, 32, channel_base=512, max_channels=32)
    g2.load_state_dict(torch.load(tmp_path / "g.pth", weights_only=True))
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    _, feats = g.encode(x)
    styles = torch.randn(2, g.n_styles, 32)
    _, feats2 = g2.encode(x)
    torch.testing.assert_close(g.decode(styles, feats), g2.decode(styles, feats2))


def _reconstruction_l1(size: int, steps: int) -> tuple[float, float]:
    """Train a tiny E + M + G to reconstruct the astronaut (source = driver); (first, last) L1."""
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny convs: one thread is faster and immune to CPU contention
    try:
        g = tiny_generator(size)
        m = LiaOrthogonalMotionExtractor(32, 8)
        x = astronaut(size)
        opt = torch.optim.Adam([*g.parameters(), *m.parameters()], lr=5e-3, betas=(0.5, 0.99))
        losses = []
        for _ in range(steps):
            f_v, feats = g.encode(x)
            f_id, f_m = split_identity_motion(m, f_v)
            out = g.decode(fuse_styles(f_id, f_m, f_v, g.n_styles), feats)
            loss = (out - x).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
    finally:
        torch.set_num_threads(n_threads)
    return losses[0], min(losses[-10:])


def test_learns_to_reconstruct_astronaut():
    """400 steps (~12 s on one core) take the L1 from ~0.7 to ~0.043."""
    first, last = _reconstruction_l1(64, 400)
    # the photo's mean absolute deviation from its mean colour is ~0.45 in [-1, 1] units
    assert first > 0.5 and last < 0.06, (first, last)


def test_image_skip_starts_from_the_warped_portrait():
    """With image_skip the source image is one more map; the fresh flow is the identity, so an
    alpha pushed to 1 returns the portrait itself, and alpha 0.5 half of it."""
    torch.manual_seed(0)
    g = LiaFlowGenerator(64, 32, channel_base=512, max_channels=32, image_skip=True)
    x = astronaut(64)
    _, feats = g.encode(x)
    assert len(feats) == len(g.octaves) + 1 and torch.equal(feats[-1], x)
    styles = torch.randn(3, g.n_styles, 32)
    half = g.decode(styles, feats)
    with torch.no_grad():
        g.image_skip.bias.fill_(30.0)
    torch.testing.assert_close(g.decode(styles, feats), x.expand(3, -1, -1, -1), rtol=0, atol=1e-5)
    with torch.no_grad():
        g.image_skip.bias.fill_(-30.0)
    synthesised = g.decode(styles, feats)
    torch.testing.assert_close(half, 0.5 * (synthesised + x), rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="feature maps"):
        g.decode(styles, feats[:-1])


def test_image_skip_gradients_reach_the_alpha_and_flow():
    g = LiaFlowGenerator(64, 32, channel_base=512, max_channels=32, image_skip=True)
    m = LiaOrthogonalMotionExtractor(32, 8)
    with torch.no_grad():
        for octave in g.octaves:
            octave.to_flow.conv.weight.normal_(std=0.1)
    out, _ = _forward(g, m, astronaut(64), torch.rand(1, 3, 64, 64) * 2 - 1)
    (out - 0.3).abs().mean().backward()
    for p in [g.image_skip.conv.weight, g.image_skip.bias, g.octaves[-1].to_flow.conv.weight]:
        assert p.grad is not None and p.grad.abs().sum() > 0


@pytest.mark.parametrize("paint", [False, True])
def test_paint_lets_the_styles_draw_from_the_first_step(paint):
    """A fresh flow is the identity warp with mask 0.5. LIA's ToRGB reads only the masked warped
    portrait, so the styles cannot change a pixel until the flow heads learn; with ``paint`` it
    reads the blend with the synthesised features, which the styles modulate."""
    torch.manual_seed(0)
    g = LiaFlowGenerator(64, 32, channel_base=512, max_channels=32, image_skip=True, paint=paint)
    _, feats = g.encode(astronaut(64))
    a, b = g.decode(torch.randn(2, g.n_styles, 32), feats)
    assert torch.equal(a, b) != paint
    styles = torch.randn(1, g.n_styles, 32, requires_grad=True)
    g.decode(styles, feats).abs().mean().backward()
    assert (styles.grad.abs().sum() > 0) == paint
