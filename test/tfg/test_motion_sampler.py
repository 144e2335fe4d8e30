import pytest
import torch

from ttsf.nets.flow_matching import timestep_embedding
from ttsf.tfg.abs_motion_sampler import motion_sampler_registry
from ttsf.tfg.motion_sampler import CFMMotionSampler, random_windows, take_windows

TINY = dict(attention_dim=8, heads=2, linear_units=16, n_layers=1, kernel=3, dropout=0.0)


def tiny(**kw) -> CFMMotionSampler:
    conf = dict(
        style_dim=6,
        latent_dim=3,
        train_window=8,
        normaliser_conf=dict(hidden=8),
        prior_conf=TINY,
        estimator_conf=TINY,
    )
    conf.update(kw)
    torch.manual_seed(0)
    return motion_sampler_registry.build("cfm", conf)


# -- the toy conditional 2-D distribution -------------------------------------------------
# Condition c in {0, 1} per sequence, seen only through f_a; every frame's motion is drawn
# i.i.d. from N(MEANS[c], COVS[c]) (the two covariances have opposite correlation signs).
MEANS = torch.tensor([[1.0, -0.5], [-1.0, 0.5]])
COVS = torch.tensor([[[0.30, 0.15], [0.15, 0.20]], [[0.10, -0.06], [-0.06, 0.25]]])


def toy_batch(b: int, t: int, g: torch.Generator):
    c = torch.randint(0, 2, (b,), generator=g)
    eps = torch.randn(b, t, 2, generator=g)
    f_m = MEANS[c][:, None] + torch.einsum("bij,btj->bti", torch.linalg.cholesky(COVS)[c], eps)
    return f_m, toy_f_a(c, t)


def toy_f_a(c: torch.Tensor, t: int) -> torch.Tensor:
    return torch.stack([c * 4.0 - 2.0, torch.zeros(len(c))], -1)[:, None].expand(-1, t, 2)


def test_cfm_sampler_matches_a_toy_conditional_distribution():
    """Whole sampler (normaliser + conformer prior + conformer estimator, all three losses)
    trained on CPU for 700 steps (16 sequences x 16-frame windows), then 64 x 32 frames
    sampled per condition with 100 Euler steps. Tolerance: every mean within 0.1, every
    covariance entry within 0.05 (the entries are 0.06-0.30), the correlation's sign right.
    Measured (seed 0): max mean error 0.060 / 0.012, max covariance error 0.022 / 0.015.
    With few Euler steps the fixed-step solver shrinks the spread (20 steps: ~10 % less
    variance on this toy), which is why 100 steps are used here."""
    conf = dict(attention_dim=32, heads=2, linear_units=64, n_layers=1, kernel=3, dropout=0.0)
    torch.manual_seed(0)
    sampler = CFMMotionSampler(
        style_dim=2,
        latent_dim=2,
        train_window=16,
        normaliser_conf=dict(hidden=32),
        prior_conf=conf,
        estimator_conf=conf,
    )
    steps = 700
    opt = torch.optim.Adam(sampler.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    g = torch.Generator().manual_seed(0)
    for _ in range(steps):
        f_m, f_a = toy_batch(16, 24, g)
        losses = sampler(f_m, f_a, torch.full((16,), 24), generator=g)
        opt.zero_grad()
        sum(losses.values()).backward()
        opt.step()
        sched.step()
    sampler.eval()
    b, t = 64, 32
    for c in (0, 1):
        out = sampler.sample(
            MEANS[c].expand(b, 2),
            toy_f_a(torch.full((b,), c), t),
            torch.full((b,), t),
            n_timesteps=100,
            generator=torch.Generator().manual_seed(1),
        )
        x = out.reshape(-1, 2)
        mean_err = (x.mean(0) - MEANS[c]).abs().max().item()
        cov_err = (torch.cov(x.T) - COVS[c]).abs().max().item()
        print(f"condition {c}: mean error {mean_err:.3f}, covariance entry error {cov_err:.3f}")
        assert mean_err < 0.1, (c, x.mean(0))
        assert cov_err < 0.05, (c, torch.cov(x.T))  # ~17-50 % of the entries' sizes
        # the sign of the correlation follows the condition
        assert torch.sign(torch.cov(x.T)[0, 1]) == torch.sign(COVS[c][0, 1])


def test_seeds_control_the_samples():
    sampler = tiny().eval()
    f_m_s, f_a, lengths = torch.randn(2, 6), torch.randn(2, 10, 6), torch.tensor([10, 6])
    draw = lambda seed, **kw: sampler.sample(  # noqa: E731
        f_m_s, f_a, lengths, n_timesteps=3, generator=torch.Generator().manual_seed(seed), **kw
    )
    a, b, c = draw(0), draw(0), draw(1)
    assert torch.equal(a, b)
    assert (a - c)[0].abs().min() > 0  # every valid element differs
    assert a.shape == (2, 10, 6) and a[1, 6:].abs().max() == 0
    # temperature 0 starts from the prior mean: no randomness left
    assert torch.equal(draw(0, temperature=0.0), draw(1, temperature=0.0))
    # motion_scale 0 is the portrait's motion on every valid frame
    still = draw(0, motion_scale=0.0)
    torch.testing.assert_close(still[0], f_m_s[0].expand(10, 6))
    # motion_scale scales the deviation from the portrait's motion
    torch.testing.assert_close(draw(0, motion_scale=2.0)[0] - f_m_s[0], 2 * (a[0] - f_m_s[0]))


def test_sample_any_length_and_items_independent():
    sampler = tiny().eval()
    for t in (1, 5, 77):
        assert sampler.sample(torch.randn(1, 6), torch.randn(1, t, 6), torch.tensor([t])).shape == (
            1,
            t,
            6,
        )
    # deterministic (temperature 0) sample of a padded batch = each item alone
    f_m_s, f_a, lengths = torch.randn(2, 6), torch.randn(2, 12, 6), torch.tensor([12, 5])
    out = sampler.sample(f_m_s, f_a, lengths, temperature=0.0)
    alone = sampler.sample(f_m_s[1:], f_a[1:, :5], lengths[1:], temperature=0.0)
    torch.testing.assert_close(out[1:, :5], alone, rtol=1e-5, atol=1e-6)


def test_training_losses_and_gradients():
    sampler = tiny()
    f_m, f_a = torch.randn(3, 20, 6), torch.randn(3, 20, 6)
    losses = sampler(f_m, f_a, torch.tensor([20, 13, 5]))
    assert set(losses) == {"norm_mse", "prior_nll", "cfm"}
    assert all(v.ndim == 0 and torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    for name, p in sampler.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    # the compressed motion is a fixed target: only norm_mse trains the normaliser's encoder
    sampler.zero_grad()
    sampler(f_m, f_a, torch.tensor([20, 13, 5]))["prior_nll"].backward()
    assert all(p.grad is None for p in sampler.normaliser.parameters())
    assert any(p.grad is not None for p in sampler.prior.parameters())


def test_windows_are_aligned_and_random():
    lengths = torch.tensor([100, 32, 10])
    starts, win_len = random_windows(lengths, 32, torch.Generator().manual_seed(0))
    assert win_len.tolist() == [32, 32, 10]
    assert 0 <= starts[0] <= 68 and starts[1:].tolist() == [0, 0]
    x = torch.arange(3 * 100, dtype=torch.float).view(3, 100, 1).expand(3, 100, 2)
    w = take_windows(x, starts, 32)
    assert w.shape == (3, 32, 2)
    assert torch.equal(w[0, :, 0], x[0, starts[0] : starts[0] + 32, 0])
    many = random_windows(torch.full((2000,), 100), 32, torch.Generator().manual_seed(1))[0]
    assert many.min() == 0 and many.max() == 68  # every start is reachable


def test_timestep_embedding():
    emb = timestep_embedding(torch.tensor([0.0, 0.5, 1.0]), 7)
    assert emb.shape == (3, 7) and emb[:, -1].abs().max() == 0
    torch.testing.assert_close(emb[0, :3], torch.zeros(3))  # sin(0)
    torch.testing.assert_close(emb[0, 3:6], torch.ones(3))  # cos(0)


def test_still_and_reference_samplers():
    still = motion_sampler_registry.build("none")
    ref = motion_sampler_registry.build("reference")
    f_m_s, f_a, lengths = torch.randn(2, 4), torch.randn(2, 5, 4), torch.tensor([5, 3])
    assert still(torch.randn(2, 5, 4), f_a, lengths) == {}
    out = still.sample(f_m_s, f_a, lengths)
    torch.testing.assert_close(out[0], f_m_s[0].expand(5, 4))
    assert out[1, 3:].abs().max() == 0
    driving = torch.randn(2, 9, 4)
    out = ref.sample(f_m_s, f_a, lengths, f_m_reference=driving)
    torch.testing.assert_close(out[0], driving[0, :5])
    assert out[1, 3:].abs().max() == 0
    half = ref.sample(f_m_s, f_a, lengths, motion_scale=0.5, f_m_reference=driving)
    torch.testing.assert_close(half[0], (f_m_s[0] + driving[0, :5]) / 2)
    with pytest.raises(ValueError, match="driving video"):
        ref.sample(f_m_s, f_a, lengths)
    with pytest.raises(ValueError, match="at least as long"):
        ref.sample(f_m_s, f_a, lengths, f_m_reference=driving[:, :4])


def test_config_errors_and_paper_sizes():
    with pytest.raises(ValueError, match="prior_conf: unknown key"):
        tiny(prior_conf={"layers": 4})
    with pytest.raises(ValueError, match="normaliser_conf: unknown key"):
        tiny(normaliser_conf={"latent_dim": 4})  # set at the top level only
    sampler = CFMMotionSampler()
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    sizes = {
        "normaliser": count(sampler.normaliser),
        "prior": count(sampler.prior),
        "estimator": count(sampler.flow.estimator),
    }
    print(sizes)
    assert sizes["normaliser"] == 271_376 and sizes["prior"] == 6_491_920
    assert count(sampler) == sum(sizes.values())
