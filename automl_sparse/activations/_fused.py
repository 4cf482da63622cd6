"""Hand-derived forward/backward for the learnable activations (custom autograd functions).

Plain elementwise PyTorch lets autograd save every intermediate (``p3*x``, the sigmoid, the
product, ...) and replays one kernel per node in backward. These functions save the least that
backward needs -- the input, or for rotated ReLU only the output that the next layer saves
anyway -- recompute the cheap rest, and fold the arithmetic into few kernels
(``sigmoid_backward``, ``gelu_backward``, ``addcmul``, ``torch.dot`` for shared parameters).

Parameters arrive as views that broadcast against ``x`` (shape ``()``, ``(C, 1, ...)`` or
``x.shape[1:]``); their gradients are reduced back to those shapes. Every function is checked
against finite differences in float64 (``tests/activations/test_act_fused.py``).

Formulas: LEAF (Bodyanskiy and Kostiuk, https://doi.org/10.47839/ijc.22.3.3225), AHAF (same
authors, https://doi.org/10.20535/SRIT.2308-8893.2022.1.07), F-Neuron (same authors,
../shared/METHODS.md section 3), rotated ReLU (Nayak and Kalyani, TMLR 2024,
https://arxiv.org/abs/2206.00488), SAFS operators (Loni et al., https://arxiv.org/abs/2305.10964).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch.autograd.function import FunctionCtx

_aten = torch.ops.aten


def _reduce(t: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """``t`` summed down to the (broadcast) shape of parameter ``p``; always a new tensor."""
    return t.clone() if t.shape == p.shape else t.sum_to_size(p.shape)


def _reduce_product(a: torch.Tensor, b: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """``(a * b)`` summed down to the shape of ``p``; one fused dot product for a shared ``p``."""
    if p.numel() == 1 and a.shape == b.shape:
        return torch.dot(a.reshape(-1), b.reshape(-1)).reshape(p.shape)
    return _reduce(a * b, p)


def _second_order(
    ctx: Any,
    g: torch.Tensor,
    reference: Any,
    inputs: tuple[torch.Tensor, ...],
    needs: tuple[bool, ...] | None = None,
) -> tuple[torch.Tensor | None, ...] | None:
    """Gradients through the plain ``reference`` formula when backward itself is recorded.

    With ``create_graph=True`` (GraSP, GradInit: second derivatives) grad mode is on inside
    ``backward``; the fast in-place paths are not differentiable, so the gradient is taken
    through ``reference(*inputs)`` with autograd instead. Otherwise returns ``None``. The result
    follows ``needs`` (default ``ctx.needs_input_grad``; non-tensor inputs get ``None``).
    """
    if not torch.is_grad_enabled():
        return None
    needs = ctx.needs_input_grad if needs is None else needs
    wrt = [t for t, need in zip(inputs, needs, strict=False) if need]
    got = iter(torch.autograd.grad(reference(*inputs), wrt, g, create_graph=True))
    return tuple(next(got) if need else None for need in needs)


def _leaf_reference(x: torch.Tensor, p1: torch.Tensor, p2: torch.Tensor, p3: torch.Tensor,
                    p4: torch.Tensor) -> torch.Tensor:  # fmt: skip
    return (p1 * x + p2) * torch.sigmoid(p3 * x) + p4


def _ahaf_reference(x: torch.Tensor, beta: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    return beta * x * torch.sigmoid(gamma * x)


class _Leaf(torch.autograd.Function):
    """``y = (p1*x + p2) * sigmoid(p3*x) + p4``; saves ``x`` and the parameters only."""

    @staticmethod
    def forward(ctx: FunctionCtx, x: torch.Tensor, *ps: torch.Tensor) -> torch.Tensor:
        p1, p2, p3, p4 = ps
        s = torch.mul(x, p3).sigmoid_()
        y = torch.addcmul(p2, p1, x).mul_(s).add_(p4)
        ctx.save_for_backward(x, p1, p2, p3, p4)
        return y

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, p1, p2, p3, p4 = ctx.saved_tensors
        second = _second_order(ctx, g, _leaf_reference, (x, p1, p2, p3, p4))
        if second is not None:
            return second
        need_x, need_p1, need_p2, need_p3, need_p4 = ctx.needs_input_grad
        s = torch.mul(x, p3).sigmoid_()
        gs = g * s
        q = None  # g * (p1*x + p2) * s * (1 - s): the part that flows through the sigmoid
        if need_x or need_p3:
            q = torch.addcmul(p2, p1, x).mul_(g)
            q = _aten.sigmoid_backward.grad_input(q, s, grad_input=q)
        dp1 = _reduce_product(gs, x, p1) if need_p1 else None
        dp2 = _reduce(gs, p2) if need_p2 else None
        dp3 = _reduce_product(q, x, p3) if need_p3 else None
        dp4 = _reduce(g, p4) if need_p4 else None
        dx = gs.mul_(p1).addcmul_(q, p3) if need_x else None  # gs is not needed any more
        return dx, dp1, dp2, dp3, dp4


class _Ahaf(torch.autograd.Function):
    """``y = beta * x * sigmoid(gamma*x)``; saves ``x`` and the parameters only."""

    @staticmethod
    def forward(
        ctx: FunctionCtx, x: torch.Tensor, beta: torch.Tensor, gamma: torch.Tensor
    ) -> torch.Tensor:
        y = torch.mul(x, gamma).sigmoid_().mul_(x).mul_(beta)
        ctx.save_for_backward(x, beta, gamma)
        return y

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, beta, gamma = ctx.saved_tensors
        second = _second_order(ctx, g, _ahaf_reference, (x, beta, gamma))
        if second is not None:
            return second
        need_x, need_beta, need_gamma = ctx.needs_input_grad
        s = torch.mul(x, gamma).sigmoid_()
        gs = g * s
        # tx = g * x * s * (1 - s)
        tx = _aten.sigmoid_backward(g, s).mul_(x)
        dbeta = _reduce_product(gs, x, beta) if need_beta else None
        dgamma = _reduce_product(tx, x, gamma).mul_(beta) if need_gamma else None
        dx = gs.addcmul_(tx, gamma).mul_(beta) if need_x else None  # gs is not needed any more
        return dx, dbeta, dgamma


def fneuron_tables(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Intercepts and slopes of the F-Neuron segments in the unit ``u = (x-left)/r + 1``.

    ``weight`` has ``n`` centre values on its last dim; the tables have ``n + 1`` entries: segment
    ``k`` (``k <= u < k+1``, ``1 <= k <= n-1``) is ``y = B[k] + D[k] * u``, and the flat
    extensions are ``k = 0`` (``y = w[0]``) and ``k = n`` (``y = w[n-1]``). Built with ordinary
    autograd (small tensors), so the weight gradient follows from the tables' gradients.
    """
    n = weight.shape[-1]
    d = weight[..., 1:] - weight[..., :-1]
    k = torch.arange(1, n, device=weight.device, dtype=weight.dtype)
    zero = torch.zeros_like(weight[..., :1])
    intercept = torch.cat([weight[..., :1], weight[..., :-1] - d * k, weight[..., -1:]], -1)
    slope = torch.cat([zero, d, zero], -1)
    return intercept, slope


class _FNeuron(torch.autograd.Function):
    """Bucketed piecewise-linear table: ``k = floor(u)``, ``y = B[k] + D[k] * u``.

    ``x`` is saved (one float per element) and ``u = clamp(x * inv_r + shift, 0, n)``
    recomputed; backward gathers ``D[k]`` for ``dx`` and scatter-adds ``g`` and ``g*u`` into the
    tables. Tables are ``(groups, n + 1)``; ``x`` is read as ``(a, tables, l)`` (:func:`_bucket`).
    """

    @staticmethod
    def forward(
        ctx: FunctionCtx,
        x: torch.Tensor,
        intercept: torch.Tensor,
        slope: torch.Tensor,
        inv_r: float,
        shift: float,
        groups: int,
    ) -> torch.Tensor:
        size = intercept.shape[-1]
        u = torch.mul(x, inv_r).add_(shift).clamp_(0.0, size - 1.0)
        index, ug = _bucket(u, groups, size)
        y = _lookup(intercept, slope, index, ug)
        ctx.save_for_backward(x, slope)
        ctx.inv_r, ctx.shift, ctx.groups = inv_r, shift, groups
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, slope = ctx.saved_tensors
        groups, size = ctx.groups, slope.shape[-1]

        def reference(x: torch.Tensor, b: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
            u = torch.clamp(x * ctx.inv_r + ctx.shift, 0.0, size - 1.0)
            index, ug = _bucket(u.detach(), groups, size)
            a, tables, _ = index.shape
            b, d = (t.reshape(1, tables, -1).expand(a, tables, -1) for t in (b, d))
            y = b.gather(-1, index) + d.gather(-1, index) * u.reshape(ug.shape)
            return y.reshape(x.shape)

        if torch.is_grad_enabled():
            # The intercepts' values enter no derivative; a zero stand-in carries their gradient
            # (the scatter of g), so the intercept table need not be saved.
            stand_in = torch.zeros_like(slope).requires_grad_()
            return _second_order(ctx, g, reference, (x, stand_in, slope))  # type: ignore[return-value]
        need_x, need_b, need_d = ctx.needs_input_grad[:3]
        u = torch.mul(x, ctx.inv_r).add_(ctx.shift).clamp_(0.0, size - 1.0)
        index, uu = _bucket(u, groups, size)
        gu = g.reshape(uu.shape)
        a, tables, _ = index.shape
        dx = None
        if need_x:
            table = (slope * ctx.inv_r).reshape(1, tables, -1)
            dx = table.expand(a, tables, table.shape[-1]).gather(-1, index).mul_(gu)
            dx = dx.reshape(g.shape)
        db = dd = None
        if need_b or need_d:
            acc = _accumulator_dtype(g.dtype)
            gf = gu.to(acc)
            m = groups * size // tables
            db = _scatter_sum(index, gf, m).reshape(slope.shape).to(g.dtype)
            dd = _scatter_sum(index, gf * uu, m).reshape(slope.shape).to(g.dtype)
        return dx, db, dd, None, None, None


def _bucket(u: torch.Tensor, groups: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Table indices of ``u`` and ``u`` itself, both shaped ``(a, tables, l)``.

    Layer sharing is one table (``(1, 1, numel)``), channel sharing one per channel
    (``(N, C, H*W)``). With one element per group (per-element sharing, or ``(N, C)`` inputs
    shared per channel) the index is offset by group so that all groups read one flat table
    (``(N, 1, groups)``): a gather along rows of one element each would be slow.
    """
    grouped = u.reshape(1, 1, -1) if groups == 1 else u.reshape(u.shape[0], groups, -1)
    index = grouped.long()
    if groups == 1 or grouped.shape[-1] > 1:
        return index, grouped
    offsets = torch.arange(groups, device=u.device) * size
    return (index + offsets.reshape(1, groups, 1)).reshape(-1, 1, groups), grouped.reshape(
        -1, 1, groups
    )


def _lookup(
    intercept: torch.Tensor, slope: torch.Tensor, index: torch.Tensor, u: torch.Tensor
) -> torch.Tensor:
    """``intercept[index] + slope[index] * u`` over ``(a, tables, l)`` (see :func:`_bucket`).

    float32/float64 tables are packed into one complex table: a single gather reads the index
    once (about 3x faster than two gathers on the CPU); other dtypes gather twice.
    """
    a, tables, _ = index.shape
    intercept, slope = intercept.reshape(1, tables, -1), slope.reshape(1, tables, -1)
    shape = (a, tables, intercept.shape[-1])
    if intercept.dtype in (torch.float32, torch.float64):
        pair = torch.complex(intercept, slope).expand(shape).gather(-1, index)
        return torch.addcmul(pair.real, pair.imag, u)
    low = intercept.expand(shape).gather(-1, index)
    return low.addcmul_(slope.expand(shape).gather(-1, index), u)


def _scatter_sum(index: torch.Tensor, src: torch.Tensor, size: int) -> torch.Tensor:
    """Sums of ``src`` by table entry: ``(tables, size)`` for ``index`` ``(a, tables, l)``.

    Scatters into ``(a, tables, size)`` and sums over ``a`` when that is small (layer,
    channel), else (one flat table, ``tables == 1``) into ``size`` entries directly.
    """
    a, tables, _ = index.shape
    if a * tables * size <= 4 * index.numel() or tables > 1:
        out = torch.zeros(a, tables, size, dtype=src.dtype, device=src.device)
        return out.scatter_add_(-1, index, src).sum(0)
    flat = torch.zeros(size, dtype=src.dtype, device=src.device)
    return flat.scatter_add_(0, index.reshape(-1), src.reshape(-1)).reshape(1, size)


def _accumulator_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


class _RotatedReLU(torch.autograd.Function):
    """``y = a * relu(x)``; saves only ``y`` (the next layer keeps it anyway) and ``a``.

    Backward recovers ``relu(x) = y / a``. A channel whose slope is exactly 0 outputs 0 and
    gets no slope gradient (it is dead; zeta pruning would remove it).
    """

    @staticmethod
    def forward(ctx: FunctionCtx, x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        y = torch.relu(x).mul_(a)
        ctx.save_for_backward(y, a)
        return y

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        y, a = ctx.saved_tensors
        inv_a = torch.where(a != 0, 1.0 / torch.where(a != 0, a, 1.0), 0.0)
        r = torch.mul(y, inv_a)  # relu(x) where a != 0, else 0
        dx = _aten.threshold_backward(g, r, 0).mul_(a) if ctx.needs_input_grad[0] else None
        da = _reduce_product(g, r, a) if ctx.needs_input_grad[1] else None
        return dx, da


class _RotatedSmooth(torch.autograd.Function):
    """``y = a * act(x)`` for GELU or SiLU; saves ``x`` and ``a`` (not ``act(x)``)."""

    @staticmethod
    def forward(ctx: FunctionCtx, x: torch.Tensor, a: torch.Tensor, kind: str) -> torch.Tensor:
        y = (F.gelu(x) if kind == "gelu" else F.silu(x)).mul_(a)
        ctx.save_for_backward(x, a)
        ctx.kind = kind
        return y

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, a = ctx.saved_tensors
        gelu = ctx.kind == "gelu"
        act = F.gelu if gelu else F.silu
        second = _second_order(ctx, g, lambda x, a: a * act(x), (x, a))
        if second is not None:
            return second
        dx = da = None
        if ctx.needs_input_grad[0]:
            ga = g * a
            dx = _aten.gelu_backward(ga, x) if gelu else _aten.silu_backward(ga, x)
        if ctx.needs_input_grad[1]:
            da = _reduce_product(g, act(x), a)
        return dx, da, None


def _like(x: torch.Tensor, *ps: torch.Tensor) -> list[torch.Tensor]:
    """Parameters in the dtype of ``x`` (a bfloat16 input computes in bfloat16)."""
    return [p.to(x.dtype) for p in ps]


def leaf(
    x: torch.Tensor, p1: torch.Tensor, p2: torch.Tensor, p3: torch.Tensor, p4: torch.Tensor
) -> torch.Tensor:
    """LEAF ``(p1*x + p2) * sigmoid(p3*x) + p4`` with the fused backward."""
    return _Leaf.apply(x, *_like(x, p1, p2, p3, p4))


def ahaf(x: torch.Tensor, beta: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    """AHAF ``beta * x * sigmoid(gamma*x)`` with the fused backward."""
    return _Ahaf.apply(x, *_like(x, beta, gamma))


def fneuron(
    x: torch.Tensor, weight: torch.Tensor, left: float, radius: float, groups: int
) -> torch.Tensor:
    """F-Neuron lookup; ``weight`` holds ``groups`` sets of ``n`` values (:class:`_FNeuron`)."""
    intercept, slope = fneuron_tables(weight.to(x.dtype).reshape(groups, -1))
    return _FNeuron.apply(x, intercept, slope, 1.0 / radius, 1.0 - left / radius, groups)


def rotated(x: torch.Tensor, a: torch.Tensor, kind: str) -> torch.Tensor:
    """``a * act(x)`` for ``kind`` in relu, gelu, silu."""
    (a,) = _like(x, a)
    if kind == "relu":
        return _RotatedReLU.apply(x, a)
    return _RotatedSmooth.apply(x, a, kind)


# SAFS ``alpha * op(beta * x)`` for the operators with their own parameters (Loni et al.,
# https://arxiv.org/abs/2305.10964). Each operator gives its value and, from ``z = beta*x`` and
# ``ga = g*alpha``, the gradient wrt ``z``, its parameters' gradients and (if asked) its value.

OpGrad = tuple[torch.Tensor, list[torch.Tensor], torch.Tensor | None]


def _swish_value(z: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    return torch.mul(z, p).sigmoid_().mul_(z)


def _swish_grad(z: torch.Tensor, ga: torch.Tensor, p: torch.Tensor, value: bool) -> OpGrad:
    s = torch.mul(z, p).sigmoid_()
    t = _aten.sigmoid_backward(ga, s).mul_(z)  # ga * z * s * (1 - s)
    v = z * s if value else None
    return torch.mul(ga, s).addcmul_(t, p), [_reduce_product(t, z, p)], v


def _tanh_of(z: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """``tanh(p*z)`` as ``2*sigmoid(2*p*z) - 1``: 4x faster than ``torch.tanh`` on the CPU,
    within 2e-7 absolute in float32."""
    return torch.mul(z, 2 * p).sigmoid_().mul_(2).sub_(1)


def _softplus(z: torch.Tensor) -> torch.Tensor:
    """``log(1 + exp(z))`` as ``relu(z) - log(sigmoid(|z|))``: no ``log1p`` (unvectorised on
    the CPU, 5x slower), within 6e-8 absolute in float32, finite for every finite ``z``."""
    return torch.abs(z).sigmoid_().log_().neg_().add_(torch.relu(z))


def _tanhsoft1_value(z: torch.Tensor, p1: torch.Tensor) -> torch.Tensor:
    return _tanh_of(z, p1).mul_(_softplus(z))


def _tanhsoft1_grad(z: torch.Tensor, ga: torch.Tensor, p1: torch.Tensor, value: bool) -> OpGrad:
    th = _tanh_of(z, p1)
    sp = _softplus(z)
    a = _aten.tanh_backward(ga * sp, th)  # ga * softplus(z) * (1 - tanh^2)
    v = th * sp if value else None
    dz = _aten.softplus_backward(ga * th, z, 1.0, 20.0).addcmul_(a, p1)
    return dz, [_reduce_product(a, z, p1)], v


def _srs_value(z: torch.Tensor, p1: torch.Tensor, p2: torch.Tensor) -> torch.Tensor:
    e = torch.mul(z, -1 / p2).clamp_(max=SRS_EXP_LIMIT).exp_()
    return torch.mul(z, 1 / p1).add_(e).reciprocal_().mul_(z)


def _srs_grad(
    z: torch.Tensor, ga: torch.Tensor, p1: torch.Tensor, p2: torch.Tensor, value: bool
) -> OpGrad:
    m = torch.mul(z, -1 / p2)
    live = m <= SRS_EXP_LIMIT  # where the clamped exponent still depends on z and p2
    e = m.clamp_(max=SRS_EXP_LIMIT).exp_()
    r = torch.mul(z, 1 / p1).add_(e).reciprocal_()
    v = z * r
    q = torch.mul(v, v).mul_(ga)  # ga * v^2
    e_live = torch.where(live, e, 0.0)
    dp1 = _reduce(q, p1) / (p1 * p1)
    dp2 = -_reduce_product(q, e_live, p2) / (p2 * p2)
    dz = e_live.mul_(z).mul_(1 / p2).add_(e).mul_(r).mul_(r).mul_(ga)
    return dz, [dp1, dp2], v if value else None


def _acon_c_value(
    z: torch.Tensor, p1: torch.Tensor, p2: torch.Tensor, p3: torch.Tensor
) -> torch.Tensor:
    w = torch.mul(z, p1 - p2)
    return torch.mul(w, p3).sigmoid_().mul_(w).addcmul_(z, p2)


def _acon_c_grad(
    z: torch.Tensor, ga: torch.Tensor, p1: torch.Tensor, p2: torch.Tensor, p3: torch.Tensor,
    value: bool,
) -> OpGrad:  # fmt: skip
    dp = p1 - p2
    w = torch.mul(z, dp)
    s = torch.mul(w, p3).sigmoid_()
    t = _aten.sigmoid_backward(ga, s).mul_(w)  # ga * w * s * (1 - s)
    gh = torch.mul(ga, s).addcmul_(t, p3)  # ga * d(w*s)/dw
    dp1 = _reduce_product(gh, z, p1)
    dp2 = _reduce_product(ga, z, p2) - dp1
    dp3 = _reduce_product(t, w, p3)
    v = w.mul(s).addcmul_(z, p2) if value else None
    return gh.mul_(dp).addcmul_(ga, p2), [dp1, dp2, dp3], v


SRS_EXP_LIMIT = 60.0
"""SRS clamps ``-x/p2`` here: ``exp`` stays finite (and its gradient not NaN) far left."""


def _srs_plain(z: torch.Tensor, p1: torch.Tensor, p2: torch.Tensor) -> torch.Tensor:
    return z / (z / p1 + torch.exp((-z / p2).clamp(max=SRS_EXP_LIMIT)))


def _acon_c_plain(
    z: torch.Tensor, p1: torch.Tensor, p2: torch.Tensor, p3: torch.Tensor
) -> torch.Tensor:
    w = (p1 - p2) * z
    return w * torch.sigmoid(p3 * w) + p2 * z


SAFS_FUSED: dict[str, tuple[Any, Any, Any]] = {
    "swish": (_swish_value, _swish_grad, lambda z, p: z * torch.sigmoid(p * z)),
    "tanhsoft1": (
        _tanhsoft1_value,
        _tanhsoft1_grad,
        lambda z, p1: torch.tanh(p1 * z) * F.softplus(z),
    ),
    "srs": (_srs_value, _srs_grad, _srs_plain),
    "acon_c": (_acon_c_value, _acon_c_grad, _acon_c_plain),
}
"""SAFS operators with a fused ``alpha * op(beta*x)``: value, gradient and plain (autograd,
twice differentiable) functions."""


class _ScaledOp(torch.autograd.Function):
    """``alpha * op(beta * x)``; saves ``x`` and the scalars only (autograd would keep
    ``beta*x``, the operator's intermediates and its output)."""

    @staticmethod
    def forward(
        ctx: FunctionCtx,
        x: torch.Tensor,
        alpha: torch.Tensor,
        beta: torch.Tensor,
        op: str,
        *ps: torch.Tensor,
    ) -> torch.Tensor:
        y = SAFS_FUSED[op][0](torch.mul(x, beta), *ps).mul_(alpha)
        ctx.save_for_backward(x, alpha, beta, *ps)
        ctx.op = op
        return y

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, alpha, beta, *ps = ctx.saved_tensors
        plain = SAFS_FUSED[ctx.op][2]
        needs = ctx.needs_input_grad
        second = _second_order(
            ctx,
            g,
            lambda x, a, b, *ps: a * plain(b * x, *ps),
            (x, alpha, beta, *ps),
            needs[:3] + needs[4:],
        )
        if second is not None:
            return (*second[:3], None, *second[3:])
        need_x, need_alpha, need_beta = ctx.needs_input_grad[:3]
        dz, dps, v = SAFS_FUSED[ctx.op][1](torch.mul(x, beta), g * alpha, *ps, value=need_alpha)
        dalpha = _reduce_product(g, v, alpha) if need_alpha else None
        dbeta = _reduce_product(dz, x, beta) if need_beta else None
        dx = dz.mul_(beta) if need_x else None
        return dx, dalpha, dbeta, None, *dps


def safs(
    x: torch.Tensor, alpha: torch.Tensor, beta: torch.Tensor, op: str, *ps: torch.Tensor
) -> torch.Tensor:
    """SAFS ``alpha * op(beta * x)`` for an operator in :data:`SAFS_FUSED`."""
    alpha, beta, *ps = _like(x, alpha, beta, *ps)
    return _ScaledOp.apply(x, alpha, beta, op, *ps)
