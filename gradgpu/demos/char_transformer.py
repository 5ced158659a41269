"""A small GPT-style character model (token + position embeddings, causal multi-head
self-attention, MLP, layer norm, tied output head) trained on the documentation text that
ships with Python (``pydoc_data``), then sampled. The model code is plain PyTorch style."""

from __future__ import annotations

import math
import time
from collections import Counter

import gradgpu as torch  # the point: PyTorch model code, unchanged
import gradgpu.nn as nn
import gradgpu.nn.functional as F

from . import common


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd: int, n_head: int, dropout: float) -> None:
        super().__init__()
        assert n_embd % n_head == 0
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.resid_dropout = nn.Dropout(dropout)
        self.n_head = n_head
        self.dropout = dropout

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class Block(nn.Module):
    def __init__(self, n_embd: int, n_head: int, dropout: float) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(),
                                 nn.Linear(4 * n_embd, n_embd), nn.Dropout(dropout))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab_size: int, block_size: int, n_layer: int = 2, n_head: int = 4,
                 n_embd: int = 64, dropout: float = 0.0) -> None:
        super().__init__()
        self.block_size = block_size
        self.tok_emb = nn.Embedding(vocab_size, n_embd)
        self.pos_emb = nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(n_embd, n_head, dropout) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.head = nn.Linear(n_embd, vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight  # weight tying
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if getattr(module, "bias", None) is not None:
                nn.init.zeros_(module.bias)

    def forward(self, idx, targets=None):
        B, T = idx.size()
        pos = torch.arange(T, device=idx.device)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens: int, temperature: float = 0.8,
                 generator=None):
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -self.block_size:])
            probs = F.softmax(logits[:, -1, :] / temperature, dim=-1)
            idx = torch.cat([idx, torch.multinomial(probs, 1, generator=generator)], dim=1)
        return idx


def load_text() -> str:
    """Python's own topic documentation (the text behind ``help('topics')``)."""
    from pydoc_data.topics import topics

    return "\n".join(topics[name] for name in sorted(topics))


def unigram_entropy(text: str) -> float:
    """Entropy of the character distribution in nats: the loss of the best context-free model."""
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log(c / n) for c in counts.values())


def batches(data, block_size: int, batch_size: int, generator):
    """Random windows of the encoded text: inputs and the next-character targets."""
    starts = torch.randint(0, len(data) - block_size - 1, (batch_size,), generator=generator)
    offsets = torch.arange(block_size + 1, device=data.device)
    windows = data[(starts.to(data.device).view(-1, 1) + offsets.view(1, -1))]
    return windows[:, :-1], windows[:, 1:]


@torch.no_grad()
def estimate_loss(model, data, block_size, batch_size, generator, n_batches: int = 8) -> float:
    model.eval()
    total = 0.0
    for _ in range(n_batches):
        x, y = batches(data, block_size, batch_size, generator)
        total += model(x, y)[1].item()
    model.train()
    return total / n_batches


def main(argv=None) -> dict:
    parser = common.base_parser("char-transformer", __doc__, lr=3e-3, batch_size=32, steps=600)
    parser.add_argument("--block-size", type=int, default=64)
    parser.add_argument("--n-layer", type=int, default=2)
    parser.add_argument("--n-head", type=int, default=4)
    parser.add_argument("--n-embd", type=int, default=64)
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--sample-chars", type=int, default=300)
    args = parser.parse_args(argv)
    device = common.pick_device(args.device)
    torch.manual_seed(args.seed)

    text = load_text()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.int64, device=device)
    n_train = int(0.9 * len(data))
    train_data, val_data = data[:n_train], data[n_train:]
    entropy = unigram_entropy(text)

    model = GPT(len(chars), args.block_size, args.n_layer, args.n_head, args.n_embd).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps,
                                                           eta_min=args.lr / 10)
    batch_gen = torch.Generator().manual_seed(args.seed)
    eval_gen = torch.Generator()
    history = {"step": [], "train_loss": [], "val_loss": []}
    first_step = 1
    checkpoint_path = args.out / "checkpoint.pt"
    if args.resume and (state := common.load_checkpoint(checkpoint_path, device)) is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history = state["history"]
        first_step = state["step"] + 1
        print(f"resumed from {checkpoint_path} after step {state['step']}")

    n_params = sum(p.numel() for p in model.parameters())
    print(f"char-transformer: {len(text)} characters of pydoc text, vocabulary {len(chars)}, "
          f"{n_params} parameters, device {device}")
    print(f"unigram entropy of the text: {entropy:.4f} nats/char (the loss to beat)")
    bar = common.Progress(args.steps - first_step + 1, "train")  # the steps this run takes
    start = time.perf_counter()
    running = None
    for step in range(first_step, args.steps + 1):
        # Per-step seeds make a resumed run draw the same batches as an uninterrupted one.
        batch_gen.manual_seed(args.seed * 100003 + step)
        x, y = batches(train_data, args.block_size, args.batch_size, batch_gen)
        _, loss = model(x, y)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        value = loss.item()  # one device-to-host read per step
        running = value if running is None else 0.9 * running + 0.1 * value
        bar.update(step - first_step + 1, loss=running)
        if step % args.eval_every == 0 or step == args.steps:
            eval_gen.manual_seed(args.seed)
            val = estimate_loss(model, val_data, args.block_size, args.batch_size, eval_gen)
            history["step"].append(step)
            history["train_loss"].append(running)
            history["val_loss"].append(val)
            common.save_checkpoint(checkpoint_path, model=model.state_dict(),
                                   optimizer=optimizer.state_dict(),
                                   scheduler=scheduler.state_dict(), step=step,
                                   history=history)
    train_seconds = time.perf_counter() - start

    val_loss = history["val_loss"][-1] if history["val_loss"] else float("nan")
    print(f"validation loss {val_loss:.4f} nats/char vs unigram entropy {entropy:.4f} "
          f"({'below' if val_loss < entropy else 'NOT below'} it; trained {train_seconds:.1f} s)")
    prompt = torch.tensor([[stoi[c] for c in "The "]], dtype=torch.int64, device=device)
    sample = model.generate(prompt, args.sample_chars,
                            generator=torch.Generator(device).manual_seed(args.seed))
    text_out = "".join(chars[i] for i in sample[0].tolist())
    print("sample:\n" + text_out)
    metrics = {"demo": "char-transformer", "device": device, "steps": args.steps,
               "seed": args.seed, "train_seconds": train_seconds, "val_loss": val_loss,
               "unigram_entropy": entropy, "sample": text_out, "history": history}
    common.write_metrics(args.out, metrics)
    common.plot_curves(args.out, history, "step", "char-transformer (gradgpu)")
    print(f"wrote {args.out}/metrics.json, curves.png and checkpoint.pt")
    return metrics
