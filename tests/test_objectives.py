"""The distances and the tube loss against their straightforward definitions."""
import pytest
import torch
import torch.nn.functional as F

from benchmark.training.objectives import _displacement, draw_tube_spans, jepa_distance_sum, tube_loss_sum


@pytest.fixture
def uv():
    g = torch.Generator().manual_seed(0)
    return torch.randn(5, 7, generator=g, dtype=torch.float64), torch.randn(5, 7, generator=g, dtype=torch.float64)


def test_distances_match_the_definitions(uv):
    u, a = uv
    cos = [float(torch.dot(x, y) / (x.norm() * y.norm())) for x, y in zip(u, a)]
    s, c = jepa_distance_sum(u, a, "cosine")
    assert s.item() == pytest.approx(sum(1 - x for x in cos), rel=1e-6) and c.item() == pytest.approx(sum(cos), rel=1e-6)
    assert jepa_distance_sum(u, a, "l2")[0].item() == pytest.approx(sum(float((x - y).norm()) for x, y in zip(u, a)), rel=1e-6)
    assert jepa_distance_sum(u, a, "mse")[0].item() / 5 == pytest.approx(float(((u - a) ** 2).mean()), rel=1e-6)
    # InfoNCE: mean over i of -log softmax_j(cos(u_i, a_j) / 0.07)[i], times B
    manual = 0.0
    for i in range(5):
        logits = torch.tensor([float(torch.dot(u[i], a[j]) / (u[i].norm() * a[j].norm())) / 0.07 for j in range(5)])
        manual += float(-torch.log_softmax(logits, 0)[i])
    assert jepa_distance_sum(u, a, "infonce")[0].item() == pytest.approx(manual, rel=1e-5)


def test_tube_three_point_form():
    """A span starting at the trajectory start gives 1 - cos(h_t - h_r, h_r - h_s) (STP paper)."""
    h = torch.randn(1, 12, 6, dtype=torch.float64)
    traj = torch.tensor([[3, 7, 7, 11]])  # a contiguous trajectory: user tokens 3..6, assistant tokens 7..10
    # span [0, e): patch = h[pos(e-1)] - h[us-1], rest = h[last] - h[pos(e-1)]
    s, e = 0, 3
    loss, n = tube_loss_sum(h, traj, [(s, e)])
    h_s, h_r, h_t = h[0, 2], h[0, 5], h[0, 10]
    expected = 1 - F.cosine_similarity((h_t - h_r)[None], (h_r - h_s)[None]).item()
    assert n == 1 and loss.item() == pytest.approx(expected, rel=1e-6)  # computed in fp32


@pytest.mark.parametrize("s,e", [(1, 3), (5, 7), (2, 6)])  # inside user, inside assistant, straddling
def test_tube_displacements_match_stp_case_formulas(s, e):
    h = torch.randn(14, 4, dtype=torch.float64)
    us, ue, as_, ae = 2, 6, 8, 12  # stp.py: user [us, ue), assistant [as, ae); states at position - 1
    pieces = [(us, ue), (as_, ae)]
    ps = us + s if s < ue - us else as_ + s - (ue - us)
    pe = us + e if e < ue - us else as_ + e - (ue - us)
    E = lambda i: h[i - 1]  # noqa: E731
    if ps >= as_:
        before = E(ue) - E(us) + E(ps) - E(as_); patch = E(pe) - E(ps); after = E(ae) - E(pe)  # noqa: E702
    elif pe <= ue:
        before = E(ps) - E(us); patch = E(pe) - E(ps); after = E(ue) - E(pe) + E(ae) - E(as_)  # noqa: E702
    else:
        before = E(ps) - E(us); patch = E(ue) - E(ps) + E(pe) - E(as_); after = E(ae) - E(pe)  # noqa: E702
    n = (ue - us) + (ae - as_)
    torch.testing.assert_close(_displacement(h, pieces, 0, s), before)
    torch.testing.assert_close(_displacement(h, pieces, s, e), patch)
    torch.testing.assert_close(_displacement(h, pieces, e, n), after)


def test_tube_spans_are_proper_and_deterministic():
    spans = draw_tube_spans([2, 5, 9, 1] * 50, torch.Generator().manual_seed(1))
    again = draw_tube_spans([2, 5, 9, 1] * 50, torch.Generator().manual_seed(1))
    assert spans == again
    for n, sp in zip([2, 5, 9, 1] * 50, spans):
        if n < 2:
            assert sp is None
        else:
            s, e = sp
            assert 0 <= s < e <= n and (s, e) != (0, n)
