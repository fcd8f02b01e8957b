"""Representation analyses of the paper (§4.2, Fig. 3 left, Fig. 4, Table 14) on a task's two views.

For each example, Enc(Text) and Enc(Code) are the final-layer hidden states (`hidden_states[-1]`, after
the final norm, as the JEPA loss reads them in benchmark/step.py) at the last content token of each view
rendered alone, the views being the ones `ViewBuilder` builds for training. Then, per model:

* `singular_values`: the singular values of the N x D matrix whose rows are Enc(Text) - Enc(Code),
  descending, top 100 (Fig. 3 left; Table 14's second column is their mean, `mean_top`). The paper says
  neither whether rows are centred nor normalised; this module does neither by default (`center`,
  `normalize` are offered; STP's Fig. 6 compares "normalised" and "unnormalised" difference vectors).
* `linear_map_error`: a least-squares linear map Enc(Text) -> Enc(Code) (Table 14's first column,
  min_X ||Enc(Text) X - Enc(Code)||_2). With N <= D + 1 a linear map fits any data exactly, so the
  in-sample residual says nothing; the headline is the error on a held-out half (fit on even rows,
  evaluate on odd rows), relative to the spread of the held-out targets. By default the map's ridge is
  chosen by 5-fold cross-validation on the fitting rows (`ridge="cv"`): with N only about 2 D, plain least
  squares (`ridge=0`, also recorded as `heldout_relative_lstsq`) fits noise and its held-out error exceeds 1
  for every model, so it cannot rank them.
* `tsne`: 2-D t-SNE of Text and Code encodings together (Fig. 4), through scikit-learn when installed.

Which Text encoding: Fig. 3 left and Table 14 name Enc(Text), so `predictors=0` (the Text view without
[PRED] tokens, last content token) is the default; `predictors=k` appends k predictor tokens and reads
Pred(Enc(Text)) at the last one, the quantity the JEPA loss compares with Enc(Code). The paper's
Table 14 rows "LLM-JEPA k = 1 / k = 0" name how the models were trained; it does not say which Text
encoding was analysed, so record `predictors` with every result.

`analyse` runs all of this for several models on the same examples and returns a JSON-safe dict;
`jepa-bench represent` (runs/represent.py) writes it into the results tree, and the report draws
Fig. 3 left and Fig. 4 from that file.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from benchmark.training.views import ViewBuilder

ENCODING = "final-layer hidden state (after the final norm) at the last content token of each view rendered alone"


# ----------------------------------------------------------------------------- encodings
def _forward_last_hidden(model, rows: list[list[int]], positions: list[int], pad_id: int) -> torch.Tensor:
    """hidden_states[-1][i, positions[i]] for right-padded rows: [B, D].

    Right padding keeps every real token at positions 0..L-1, and causal attention never lets a real token
    see the padding after it, so each row's states equal those of the row run alone.
    """
    device = next(model.parameters()).device
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
        mask[i, : len(r)] = 1
    kwargs = dict(input_ids=ids.to(device), attention_mask=mask.to(device), output_hidden_states=True,
                  use_cache=False)
    try:
        out = model(**kwargs, logits_to_keep=1)  # the [B, L, |V|] head is not needed here
    except TypeError:  # model classes without logits_to_keep
        out = model(**kwargs)
    hidden = out.hidden_states[-1]  # [B, L, D], after the final norm
    return hidden[torch.arange(len(rows), device=hidden.device), torch.tensor(positions, device=hidden.device)]


def _encode_rows(model, rows, positions, pad_id, batch_size, progress, desc) -> np.ndarray:
    from tqdm.auto import tqdm

    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))  # similar lengths together: less padding
    out = [None] * len(rows)
    starts = range(0, len(order), batch_size)
    for s in tqdm(starts, desc=desc, unit="batch", disable=not progress, leave=False):
        idx = order[s: s + batch_size]
        h = _forward_last_hidden(model, [rows[i] for i in idx], [positions[i] for i in idx], pad_id)
        for i, v in zip(idx, h.float().cpu().numpy()):
            out[i] = v
    return np.stack(out).astype(np.float32)


def encode_views(model, tok, examples, *, predictors: int = 0, batch_size: int = 16, progress: bool = False,
                 plain: bool = False, max_length: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """(Enc(Text) [N, D], Enc(Code) [N, D]) as float32 arrays, one row per example, in example order.

    predictors: 0 reads Enc(Text) at the last token of the user content; k > 0 appends k [PRED] tokens and
    reads Pred(Enc(Text)) at the last of them. plain: render views without the chat template (--plain runs).
    The model runs in its own dtype (the loaders give fp32) under no_grad in eval mode; its training mode is
    restored afterwards.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    examples = list(examples)
    if not examples:
        raise ValueError("encode_views needs at least one example")
    builder = ViewBuilder(tok, predictors=predictors, plain=plain, max_length=max_length)
    built = [builder.build(ex) for ex in examples]
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            text = _encode_rows(model, [b.source_ids for b in built], [b.source_enc for b in built], pad_id,
                                batch_size, progress, "Enc(Text)")
            code = _encode_rows(model, [b.target_ids for b in built], [b.target_enc for b in built], pad_id,
                                batch_size, progress, "Enc(Code)")
    finally:
        model.train(was_training)
    return text, code


# ----------------------------------------------------------------------------- measures
def _pair(text, code, *, same_width: bool = True) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(text, dtype=np.float64), np.asarray(code, dtype=np.float64)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or (same_width and x.shape != y.shape):
        raise ValueError(f"text and code must be [N, D] arrays of one shape, got {x.shape} and {y.shape}")
    return x, y


def singular_values(text, code, top: int = 100, *, center: bool = False, normalize: bool = False) -> np.ndarray:
    """Top `top` singular values of the difference matrix Enc(Text) - Enc(Code) (rows = examples), descending.

    Fewer than `top` when min(N, D) < top. center: subtract the mean difference first (not in the paper's
    description, off by default). normalize: scale each difference row to unit norm first (STP Fig. 6's
    "normalised difference vectors", as we read it; zero rows stay zero).
    """
    x, y = _pair(text, code)
    d = x - y  # [N, D]
    if normalize:
        norms = np.linalg.norm(d, axis=1, keepdims=True)
        d = np.divide(d, norms, out=np.zeros_like(d), where=norms > 0)
    if center:
        d = d - d.mean(axis=0, keepdims=True)
    s = np.linalg.svd(d, compute_uv=False)  # descending
    return s[: max(int(top), 0)]


def _fit(x: np.ndarray, y: np.ndarray, ridge: float, bias: bool) -> np.ndarray:
    """W minimising ||[x, 1] W - y||^2 + ridge ||W without its bias row||^2 (minimum-norm when ridge = 0)."""
    a = np.hstack([x, np.ones((len(x), 1))]) if bias else x
    if ridge <= 0:
        return np.linalg.lstsq(a, y, rcond=None)[0]
    penalty = np.eye(a.shape[1]) * ridge
    if bias:
        penalty[-1, -1] = 0.0  # the intercept is not shrunk
    return np.linalg.solve(a.T @ a + penalty, a.T @ y)


def _apply(w: np.ndarray, x: np.ndarray, bias: bool) -> np.ndarray:
    return x @ w[:-1] + w[-1] if bias else x @ w


def _relative(residual: float, y: np.ndarray) -> float:
    spread = float(np.linalg.norm(y - y.mean(axis=0, keepdims=True)))
    if spread == 0.0:
        return 0.0 if residual == 0.0 else math.inf
    return residual / spread


# relative ridges tried by cross-validation, in units of the mean eigenvalue of the centred fitting rows' X^T X
# (so the grid does not depend on the scale of the hidden states); 0 is plain least squares
RIDGE_GRID = (0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)
CV_FOLDS = 5


def _scale(x: np.ndarray) -> float:
    """Mean eigenvalue of Xc^T Xc (Xc: x centred), the unit of RIDGE_GRID."""
    return float(np.sum((x - x.mean(axis=0, keepdims=True)) ** 2) / max(x.shape[1], 1))


def cv_ridge(x, y, *, grid=RIDGE_GRID, folds: int = CV_FOLDS) -> float:
    """The absolute ridge of `_fit` (intercept unpenalised) with the least squared error over `folds`-fold
    cross-validation on these rows only (row i in fold i mod folds), from `grid` x `_scale(x)`; ties go to the
    first grid entry. Each fold is solved once by SVD of its centred rows, which equals `_fit` with bias."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    unit = _scale(x)
    folds = max(2, min(int(folds), len(x)))
    fold = np.arange(len(x)) % folds
    errors = np.zeros(len(grid))
    for f in range(folds):
        tr, va = fold != f, fold == f
        mx, my = x[tr].mean(axis=0), y[tr].mean(axis=0)
        u, s, vt = np.linalg.svd(x[tr] - mx, full_matrices=False)
        uty = u.T @ (y[tr] - my)
        xv, yv = x[va] - mx, y[va] - my
        cutoff = np.finfo(np.float64).eps * max(x[tr].shape) * (s[0] if len(s) else 0.0)  # lstsq's rcond
        for j, c in enumerate(grid):
            a = c * unit
            d = np.where(s > cutoff, 1.0 / np.where(s > cutoff, s, 1.0), 0.0) if a <= 0 else s / (s ** 2 + a)
            errors[j] += float(np.sum((xv @ (vt.T @ (d[:, None] * uty)) - yv) ** 2))
    return float(grid[int(np.argmin(errors))] * unit)


def check_ridge(ridge) -> None:
    """A ridge is "cv" or a finite number >= 0; a ValueError that says so otherwise."""
    if not (ridge == "cv" or (isinstance(ridge, (int, float)) and math.isfinite(ridge) and ridge >= 0)):
        raise ValueError(f'ridge must be "cv" or a finite number >= 0, got {ridge!r}')


def linear_map_error(text, code, *, ridge: float | str = "cv", bias: bool = True) -> dict:
    """Linear map W (with bias) from Enc(Text) to Enc(Code), and how well it fits.

    ridge: "cv" (default) picks it by cross-validation on the fitting rows (`cv_ridge`); a number fixes it
    (0: plain least squares, minimum-norm).

    Keys:
    * heldout_relative (the headline): W fitted on even rows, ||X_odd W - Y_odd||_F / ||Y_odd - mean(Y_odd)||_F;
      about 0 for an exactly linear relation, about 1 or more when X says nothing about Y;
    * heldout_relative_lstsq: the same with plain least squares (ridge 0), for comparison;
    * heldout_mse: mean squared error per coordinate on the odd rows;
    * relative, mse, residual: fitted on all rows (same ridge) and measured on them. With N <= D + 1 an exact
      fit always exists, so these are then ~0 for any data and carry no information;
    * paper_residual: min_W ||X W - Y||_F over all rows without bias or ridge, the quantity Table 14 prints
      (its ||.||_2 is read as the Frobenius norm). It grows with N and the scale of the states, so compare it
      only across models on the same examples;
    * ridge ("cv" or the number given), ridge_used (the absolute ridge of both fits), n_fit, n_eval, dim, bias,
      exact_fit_possible (N <= D + bias).
    """
    x, y = _pair(text, code, same_width=False)  # a map may change the width; analyse() never does
    n, dim = x.shape
    check_ridge(ridge)
    fit, ev = slice(0, None, 2), slice(1, None, 2)
    used = (cv_ridge(x[fit], y[fit]) if len(x[fit]) >= 2 else 0.0) if ridge == "cv" else float(ridge)
    out = {"n": n, "dim": dim, "ridge": ridge if ridge == "cv" else float(ridge), "ridge_used": used,
           "bias": bool(bias), "exact_fit_possible": n <= dim + int(bias)}

    w = _fit(x, y, used, bias)
    r = _apply(w, x, bias) - y
    out["residual"] = float(np.linalg.norm(r))
    out["relative"] = _relative(out["residual"], y)
    out["mse"] = float(np.mean(r ** 2))
    out["paper_residual"] = float(np.linalg.norm(x @ np.linalg.lstsq(x, y, rcond=None)[0] - y))

    out["n_fit"], out["n_eval"] = len(x[fit]), len(x[ev])
    if out["n_eval"] == 0:
        out["heldout_relative"] = out["heldout_mse"] = out["heldout_relative_lstsq"] = None
        return out
    w = _fit(x[fit], y[fit], used, bias)
    r = _apply(w, x[ev], bias) - y[ev]
    out["heldout_relative"] = _relative(float(np.linalg.norm(r)), y[ev])
    out["heldout_mse"] = float(np.mean(r ** 2))
    if used == 0:
        out["heldout_relative_lstsq"] = out["heldout_relative"]
    else:
        plain = _apply(_fit(x[fit], y[fit], 0.0, bias), x[ev], bias) - y[ev]
        out["heldout_relative_lstsq"] = _relative(float(np.linalg.norm(plain)), y[ev])
    return out


def default_perplexity(n_points: int) -> float:
    """sklearn's default 30, lowered for small sets (it must stay below the number of points)."""
    return float(min(30.0, max(1.0, (n_points - 1) / 3)))


def _tsne_class():
    try:
        from sklearn.manifold import TSNE
    except ImportError:
        raise ImportError("t-SNE needs scikit-learn, which llm-jepa-bench does not install: "
                          "pip install scikit-learn") from None
    return TSNE


def tsne(text, code, seed: int = 0, perplexity: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """2-D t-SNE of the Text and Code encodings embedded together: (text_xy [N, 2], code_xy [N, 2])."""
    TSNE = _tsne_class()
    x, y = _pair(text, code)
    points = np.vstack([x, y])
    if len(points) < 3:
        raise ValueError("t-SNE needs at least two examples")
    perplexity = default_perplexity(len(points)) if perplexity is None else float(perplexity)
    xy = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(points)
    return xy[: len(x)], xy[len(x):]


# ----------------------------------------------------------------------------- several models
def _json_safe(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json_safe(x) for x in v]
    return v


def analyse(models: dict, examples, *, predictors: int = 0, top: int = 100, with_tsne: bool = False,
            center: bool = False, normalize: bool = False, ridge: float | str = "cv", batch_size: int = 16,
            plain: bool = False, seed: int = 0, progress: bool = False) -> dict:
    """Run the analyses for each named (model, tokenizer) on the same examples; returns a JSON-safe dict
    (runs/represent.py writes it into the results tree; the report draws its figures from there).

    models: e.g. {"base": (m0, tok0), "regular": (m1, tok1), "jepa": (m2, tok2)}. With `with_tsne` each
    model's entry also holds its t-SNE points (`tsne`: {"text": [[x, y], ...], "code": [...]}).
    """
    if not models:
        raise ValueError("analyse needs at least one model")
    if with_tsne:
        _tsne_class()  # fail before the forwards, not after them
    examples = list(examples)
    result = {
        "analysis": "representation", "n_examples": len(examples), "predictors": predictors,
        "text_encoding": "Enc(Text)" if predictors == 0 else f"Pred(Enc(Text)) with {predictors} [PRED] tokens",
        "encoding": ENCODING, "top": top, "center": center, "normalize": normalize, "plain": plain,
        "linear_map_headline": "heldout_relative", "ridge": ridge, "models": {},
    }
    for name, (model, tok) in models.items():
        text, code = encode_views(model, tok, examples, predictors=predictors, batch_size=batch_size,
                                  progress=progress, plain=plain)
        s = singular_values(text, code, top, center=center, normalize=normalize)
        result["models"][name] = {
            "hidden_size": int(text.shape[1]),
            "singular_values": [float(v) for v in s],
            "mean_top": float(s.mean()) if len(s) else None,  # Table 14, "Avg. Top 100 Singular"
            "linear_map": linear_map_error(text, code, ridge=ridge),
        }
        if with_tsne:
            t_xy, c_xy = tsne(text, code, seed=seed)
            result["models"][name]["tsne"] = {"text": t_xy.tolist(), "code": c_xy.tolist()}
    return _json_safe(result)
