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


def _authors_distribution(n: int) -> dict[tuple[int, int], float]:
    """Exact P(s, e) of the STP authors' sampler (stp.py get_s_t, random_span): s uniform in [0, n); e uniform
    in [s + 1, n], only e redrawn while e - s == n."""
    probs = {}
    for s in range(n):
        ends = [e for e in range(s + 1, n + 1) if e - s < n]
        for e in ends:
            probs[(s, e)] = (1 / n) / len(ends)
    return probs


@pytest.mark.parametrize("n", [2, 3, 5, 30])
def test_span_distribution_matches_the_authors(n):
    """Counted draws match the authors' distribution (P(start = 0) = 1/n; the suite used to redraw both
    ends, which gives 1/(n+1))."""
    draws = 60_000 if n < 30 else 120_000
    spans = draw_tube_spans([n] * draws, torch.Generator().manual_seed(7))
    counts: dict[tuple[int, int], int] = {}
    for sp in spans:
        counts[sp] = counts.get(sp, 0) + 1
    expected = _authors_distribution(n)
    assert set(counts) <= set(expected)
    for cell, p in expected.items():  # each cell within 5 binomial standard deviations
        sd = (draws * p * (1 - p)) ** 0.5
        assert abs(counts.get(cell, 0) - draws * p) <= 5 * sd + 1, (cell, counts.get(cell, 0), draws * p)
    starts0 = sum(c for (s, _), c in counts.items() if s == 0) / draws
    assert starts0 == pytest.approx(1 / n, abs=5 * (1 / n * (1 - 1 / n) / draws) ** 0.5)


def test_each_process_draws_its_own_spans():
    from benchmark.training.objectives import term_seed

    assert [term_seed(82, r) for r in range(3)] == [82, 85, 88]  # the authors' seed + 3 * rank
    a = draw_tube_spans([20] * 50, torch.Generator().manual_seed(term_seed(82, 0)))
    b = draw_tube_spans([20] * 50, torch.Generator().manual_seed(term_seed(82, 1)))
    assert a != b
