"""Handwritten digits (the 8x8 images that ship with scikit-learn): an MLP or a small CNN,
trained with Adam on a train/validation/test split, written exactly as one would in PyTorch."""

from __future__ import annotations

import time

import numpy as np

import gradgpu
import gradgpu.nn as nn
import gradgpu.nn.functional as F
from gradgpu.utils.data import DataLoader, TensorDataset

from . import common


def load_split(seed: int):
    """(x, y) tensors for train / validation / test (70/15/15, stratified by class)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit("this demo needs scikit-learn for its data set: "
                         "pip install 'gradgpu[demo]'") from None
    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    parts = {"train": [], "val": [], "test": []}
    for label in range(10):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_val = n_test = round(0.15 * len(idx))
        parts["val"].append(idx[:n_val])
        parts["test"].append(idx[n_val:n_val + n_test])
        parts["train"].append(idx[n_val + n_test:])
    return {name: (gradgpu.from_numpy(x[np.concatenate(ix)]),
                   gradgpu.from_numpy(y[np.concatenate(ix)]))
            for name, ix in parts.items()}


def mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.1),
        nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def cnn() -> nn.Module:
    return nn.Sequential(
        nn.Unflatten(1, (1, 8, 8)),
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 2 x 2
        nn.Flatten(), nn.Dropout(0.1), nn.Linear(128, 10),
    )


MODELS = {"digits-mlp": (mlp, 30, 2e-3), "digits-cnn": (cnn, 30, 3e-3)}


@gradgpu.no_grad()
def evaluate(model, x, y, batch_size=512):
    """(mean loss, accuracy) over a whole split, in eval mode."""
    model.eval()
    total_loss, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        logits = model(xb)
        total_loss += F.cross_entropy(logits, yb, reduction="sum").item()
        correct += (logits.argmax(1) == yb).sum().item()
    model.train()
    return total_loss / len(x), correct / len(x)


def main(name: str, argv=None) -> dict:
    build, epochs, lr = MODELS[name]
    args = common.base_parser(name, __doc__, lr=lr, batch_size=64, epochs=epochs).parse_args(argv)
    device = common.pick_device(args.device)
    gradgpu.manual_seed(args.seed)
    split = {k: (x.to(device), y.to(device)) for k, (x, y) in load_split(args.seed).items()}
    shuffle = gradgpu.Generator()
    loader = DataLoader(TensorDataset(*split["train"]), batch_size=args.batch_size,
                        shuffle=True, generator=shuffle)

    model = build().to(device)
    optimizer = gradgpu.optim.Adam(model.parameters(), lr=args.lr)
    history = {"epoch": [], "train_loss": [], "val_loss": [], "train_acc": [], "val_acc": []}
    first_epoch = 1
    checkpoint_path = args.out / "checkpoint.pt"
    if args.resume and (state := common.load_checkpoint(checkpoint_path, device)) is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        history = state["history"]
        first_epoch = state["epoch"] + 1
        print(f"resumed from {checkpoint_path} after epoch {state['epoch']}")

    n_params = sum(p.numel() for p in model.parameters())
    print(f"{name}: {len(split['train'][0])} train / {len(split['val'][0])} val / "
          f"{len(split['test'][0])} test images, {n_params} parameters, device {device}")
    start = time.perf_counter()
    for epoch in range(first_epoch, args.epochs + 1):
        # Seeding per epoch makes a resumed run draw the same batches and dropout masks.
        gradgpu.manual_seed(args.seed * 1000 + epoch)
        shuffle.manual_seed(args.seed * 1000 + epoch)
        bar = common.Progress(len(loader), f"epoch {epoch:3d}/{args.epochs}")
        seen = correct = 0
        running = 0.0
        for i, (xb, yb) in enumerate(loader, 1):
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            running += loss.item() * len(xb)
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(xb)
            bar.update(i, loss=running / seen, acc=correct / seen)
        val_loss, val_acc = evaluate(model, *split["val"])
        for key, value in (("epoch", epoch), ("train_loss", running / seen),
                           ("train_acc", correct / seen), ("val_loss", val_loss),
                           ("val_acc", val_acc)):
            history[key].append(value)
        common.save_checkpoint(checkpoint_path, model=model.state_dict(),
                               optimizer=optimizer.state_dict(), epoch=epoch, history=history,
                               args={k: str(v) for k, v in vars(args).items()})
    train_seconds = time.perf_counter() - start

    test_loss, test_acc = evaluate(model, *split["test"])
    print(f"test: loss {test_loss:.4f}  accuracy {test_acc:.2%}  "
          f"(validation {history['val_acc'][-1]:.2%}; trained in {train_seconds:.1f} s)")
    metrics = {"demo": name, "device": device, "epochs": args.epochs, "seed": args.seed,
               "train_seconds": train_seconds, "test_loss": test_loss,
               "test_accuracy": test_acc, "history": history}
    common.write_metrics(args.out, metrics)
    common.plot_curves(args.out, history, "epoch", f"{name} (gradgpu)")
    print(f"wrote {args.out}/metrics.json, curves.png and checkpoint.pt")
    return metrics
