"""Training steps of whole models: an MLP with Adam, a small CNN with SGD + momentum, and the
char-transformer demo's GPT with AdamW.

Every model is built by a function that takes the library (``gradgpu`` or ``torch``) as an
argument, so both run the same architecture from the same source. gradgpu's model is built
first (seeded); its weights go to the PyTorch model through NumPy, so both start from identical
weights, see identical data, and do identical work. The first step's losses are compared
(``check``) to prove it. A step is: forward, loss, ``zero_grad``, backward, optimizer step.
"""

from __future__ import annotations

import inspect

import numpy as np

from .base import Built, Context, RawAdam, Workload

# ----------------------------------------------------------------------------------- builders


def mlp(lib):
    """784-256-256-10 with ReLU."""
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def cnn(lib):
    """Two conv(3x3, pad 1) + ReLU + 2x2 max-pool blocks (1->8->16 channels) and one linear
    layer: a 28x28 image gives 16 x 7 x 7 features, 10 classes."""
    nn, F = lib.nn, lib.nn.functional

    class SmallCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
            self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
            self.fc = nn.Linear(16 * 7 * 7, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            return self.fc(lib.flatten(x, 1))

    return SmallCNN()


def char_gpt_class(lib):
    """The char-transformer demo's ``GPT`` class, for ``lib``.

    For gradgpu it is the demo's class itself. For another library the demo's model classes
    (``CausalSelfAttention``, ``Block``, ``GPT``: plain PyTorch-style code written against a
    module named ``torch``) are re-executed from their source with ``torch``, ``nn`` and ``F``
    bound to that library, so the benchmark always measures exactly the demo's architecture and
    cannot drift from it.
    """
    from gradgpu.demos import char_transformer as demo

    if lib.__name__ == "gradgpu":
        return demo.GPT
    namespace = {"torch": lib, "nn": lib.nn, "F": lib.nn.functional,
                 "__name__": "benchmarks.char_gpt_" + lib.__name__}
    for cls in (demo.CausalSelfAttention, demo.Block, demo.GPT):
        exec(compile(inspect.getsource(cls), inspect.getsourcefile(cls), "exec"), namespace)
    return namespace["GPT"]


def char_vocab_size() -> int:
    """The demo's vocabulary: the distinct characters of its training text."""
    from gradgpu.demos import char_transformer as demo

    return len(set(demo.load_text()))


# ------------------------------------------------------------------------------ shared set-up


def _numpy_state(model) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def _models(ctx: Context, build) -> tuple[dict, dict[str, np.ndarray]]:
    """One model per library, all holding gradgpu's seeded initial weights, on ctx.device."""
    ctx.gradgpu.manual_seed(ctx.seed)
    ours = build(ctx.gradgpu)
    state = _numpy_state(ours)
    models = {"gradgpu": ours.to(ctx.device)}
    if ctx.torch is not None:
        theirs = build(ctx.torch)
        theirs.load_state_dict({k: ctx.torch.tensor(v) for k, v in state.items()})
        models["torch"] = theirs.to(ctx.device)
    return models, state


def _step_fn(model, opt, loss_fn, x, y, clip: float | None = None, lib=None):
    def step():
        loss = loss_fn(model, x, y)
        opt.zero_grad()
        loss.backward()
        if clip is not None:
            lib.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        return loss

    return step


def _classifier_loss(lib):
    F = lib.nn.functional

    def loss(model, x, y):
        return F.cross_entropy(model(x), y)

    return loss


# ----------------------------------------------------------------------------------------- MLP


def build_mlp(ctx: Context) -> Built:
    """One Adam step of the MLP on a batch of 128 (random pixels, random labels)."""
    batch = 128
    rng = ctx.rng()
    x_np = rng.random((batch, 784), dtype=np.float32)
    y_np = rng.integers(0, 10, batch)
    models, state = _models(ctx, mlp)
    impls = {}
    for name, lib in ctx.libs():
        model = models[name]
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        x, y = ctx.tensor(lib, x_np), ctx.tensor(lib, y_np)
        impls[name] = ctx.impl(name, _step_fn(model, opt, _classifier_loss(lib), x, y))
    impls["raw"] = ctx.impl("raw", _raw_mlp_step(ctx, state, x_np, y_np))
    return Built(impls, check=True, label="784-256-256-10, batch 128, Adam")


def _raw_mlp_step(ctx: Context, state: dict[str, np.ndarray], x_np, y_np, lr: float = 1e-3,
                  betas=(0.9, 0.999), eps: float = 1e-8):
    """The MLP's Adam step written by hand in raw arrays: the floor for an autograd library.

    Forward h1 = relu(x W1^T + b1), h2 = relu(h1 W2^T + b2), z = h2 W3^T + b3, loss = mean
    cross-entropy; backward dz = (softmax(z) - onehot(y)) / N, then the chain rule through the
    linears and ReLUs; Adam as ``torch.optim.Adam`` (bias-corrected, eps outside the sqrt).
    """
    xp = ctx.xp
    names = ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    params = [ctx.raw(state[k]).copy() for k in names]
    adam = RawAdam(xp, params, lr, betas, eps)
    x, y = ctx.raw(x_np), ctx.raw(y_np)
    n = x.shape[0]
    rows = xp.arange(n)

    def step():
        w1, c1, w2, c2, w3, c3 = params
        a1 = x @ w1.T + c1
        h1 = xp.maximum(a1, 0)
        a2 = h1 @ w2.T + c2
        h2 = xp.maximum(a2, 0)
        z = h2 @ w3.T + c3
        zmax = z.max(axis=1, keepdims=True)
        e = xp.exp(z - zmax)
        s = e.sum(axis=1, keepdims=True)
        loss = (xp.log(s[:, 0]) + zmax[:, 0] - z[rows, y]).mean()
        dz = e / s
        dz[rows, y] -= 1
        dz /= n
        dh2 = (dz @ w3) * (a2 > 0)
        dh1 = (dh2 @ w2) * (a1 > 0)
        adam.step([dh1.T @ x, dh1.sum(0), dh2.T @ h1, dh2.sum(0), dz.T @ h2, dz.sum(0)])
        return loss

    return step


# ----------------------------------------------------------------------------------------- CNN


def build_cnn(ctx: Context) -> Built:
    """One SGD (momentum 0.9) step of the small CNN on a batch of 32 1x28x28 images."""
    batch = 32
    rng = ctx.rng()
    x_np = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y_np = rng.integers(0, 10, batch)
    models, _ = _models(ctx, cnn)
    impls = {}
    for name, lib in ctx.libs():
        model = models[name]
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x, y = ctx.tensor(lib, x_np), ctx.tensor(lib, y_np)
        impls[name] = ctx.impl(name, _step_fn(model, opt, _classifier_loss(lib), x, y))
    impls["raw"] = "n/a: no hand-written conv/pool backward"
    return Built(impls, check=True, label="2x(conv3x3+relu+maxpool2)+linear, batch 32, SGD m=0.9")


# ------------------------------------------------------------------------- char-transformer


def _gpt_loss(model, x, y):
    return model(x, y)[1]


def build_char_transformer(ctx: Context) -> Built:
    """One training step of the demo's GPT at the demo's defaults (block 64, 2 layers, 4 heads,
    64-dim embeddings, batch 32, AdamW lr 3e-3 wd 0.01, gradient clipping at 1.0), on random
    character windows of the demo's vocabulary."""
    block, batch = 64, 32
    vocab = char_vocab_size()
    rng = ctx.rng()
    idx = rng.integers(0, vocab, (batch, block + 1))
    x_np, y_np = idx[:, :-1], idx[:, 1:].copy()

    def build(lib):
        return char_gpt_class(lib)(vocab, block, n_layer=2, n_head=4, n_embd=64)

    models, _ = _models(ctx, build)
    impls = {}
    for name, lib in ctx.libs():
        model = models[name]
        opt = lib.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
        x, y = ctx.tensor(lib, x_np), ctx.tensor(lib, y_np)
        impls[name] = ctx.impl(name, _step_fn(model, opt, _gpt_loss, x, y, clip=1.0, lib=lib))
    impls["raw"] = "n/a: no hand-written transformer backward"
    return Built(impls, check=True,
                 label=f"demo GPT, vocab {vocab}, block {block}, batch {batch}, AdamW + clip")


WORKLOADS = [
    Workload("mlp_step", "model", "ms", "MLP 784-256-256-10, batch 128, Adam: one step",
             build_mlp, target=1.3, budget_scale=1.5),
    Workload("cnn_step", "model", "ms", "small CNN, batch 32, SGD momentum: one step", build_cnn,
             target=2.0, budget_scale=1.5),
    Workload("char_transformer_step", "model", "ms",
             "char-transformer demo GPT: one training step", build_char_transformer,
             target=1.5, budget_scale=1.5),
]
