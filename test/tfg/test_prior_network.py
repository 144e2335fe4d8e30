import pytest
import torch

from ttsf.tfg.prior_network import ConformerStack, PriorNetwork


def tiny(**kw) -> PriorNetwork:
    conf = dict(style_dim=6, latent_dim=3, attention_dim=8, heads=2, linear_units=16, kernel=5)
    conf.update(kw)
    torch.manual_seed(0)
    return PriorNetwork(**conf)


def test_is_a_four_layer_espnet_conformer_at_paper_defaults():
    from espnet.nets.pytorch_backend.conformer.encoder_layer import EncoderLayer

    prior = PriorNetwork()
    layers = [m for m in prior.modules() if isinstance(m, EncoderLayer)]
    assert len(layers) == 4
    assert all(
        layer.conv_module is not None and layer.feed_forward_macaron is not None for layer in layers
    )
    n = sum(p.numel() for p in prior.parameters())
    assert n == 6_491_920  # style_dim 512 -> 256-d conformer x 4 -> latent 16


def test_input_is_the_sum_of_first_motion_and_f_a():
    prior = tiny().eval()
    g = torch.Generator().manual_seed(1)
    f_m0, f_a = torch.randn(2, 6, generator=g), torch.randn(2, 9, 6, generator=g)
    lengths = torch.tensor([9, 9])
    a = prior(f_m0, f_a, lengths)
    b = prior(torch.zeros(2, 6), f_a + f_m0[:, None], lengths)
    torch.testing.assert_close(a, b)
    assert a.shape == (2, 9, 3)


@pytest.mark.parametrize("train", [False, True])
def test_padding_never_leaks(train):
    # ESPnet's convolution module has no mask; sequences of each length run unpadded.
    prior = tiny(dropout=0.0).train(train)
    g = torch.Generator().manual_seed(2)
    f_m0, f_a = torch.randn(4, 6, generator=g), torch.randn(4, 20, 6, generator=g)
    lengths = torch.tensor([20, 7, 20, 1])
    out = prior(f_m0, f_a, lengths)
    pad = (torch.arange(20)[None] >= lengths[:, None])[..., None]
    out2 = prior(f_m0, f_a + 100 * pad * torch.randn(4, 20, 6, generator=g), lengths)
    if train:  # BatchNorm uses batch statistics: compare only where the groups are equal
        out, out2 = out[[0, 2]], out2[[0, 2]]
    torch.testing.assert_close(out, out2, rtol=0, atol=0)
    if not train:
        assert out[1, 7:].abs().max() == 0 and out[3, 1:].abs().max() == 0
        alone = prior(f_m0[1:2], f_a[1:2, :7], lengths[1:2])
        torch.testing.assert_close(out[1:2, :7], alone, rtol=1e-5, atol=1e-6)


def test_gradients_and_any_length():
    prior = tiny()
    f_m0 = torch.randn(2, 6, requires_grad=True)
    f_a = torch.randn(2, 40, 6, requires_grad=True)
    prior(f_m0, f_a, torch.tensor([40, 33])).square().sum().backward()
    assert f_m0.grad.abs().sum() > 0 and f_a.grad[1, 33:].abs().max() == 0
    assert all(p.grad is not None for p in prior.parameters())
    prior.eval()
    for t in (1, 2, 5, 300):  # inference on any number of frames
        assert prior(torch.randn(1, 6), torch.randn(1, t, 6), torch.tensor([t])).shape == (1, t, 3)


def test_bad_inputs():
    with pytest.raises(ValueError, match="style_dim"):
        tiny()(torch.randn(1, 5), torch.randn(1, 4, 6), torch.tensor([4]))
    with pytest.raises(ValueError, match="odd"):
        ConformerStack(4, 4, attention_dim=8, heads=2, kernel=4)
    with pytest.raises(ValueError, match="divisible"):
        ConformerStack(4, 4, attention_dim=9, heads=2)
