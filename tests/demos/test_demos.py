"""Smoke tests: every demo runs end to end with tiny settings and writes its outputs."""

from __future__ import annotations

import json
import math

import pytest

from gradgpu.backend import cuda as cuda_backend
from gradgpu.demos import __main__ as demos


def _run(capsys, *argv):
    demos.main(list(argv))
    return capsys.readouterr()


def test_demo_list_is_printed_without_arguments(capsys):
    out = _run(capsys).out
    for name in ("digits-mlp", "digits-cnn", "char-transformer"):
        assert name in out


def test_unknown_demo_is_refused():
    with pytest.raises(SystemExit, match="unknown demo 'nope'"):
        demos.main(["nope"])


@pytest.mark.parametrize("name", ["digits-mlp", "digits-cnn"])
def test_digits_demo_trains_writes_outputs_and_resumes(name, tmp_path, capsys):
    pytest.importorskip("sklearn")
    out = tmp_path / name
    captured = _run(capsys, name, "--epochs", "2", "--out", str(out), "--device", "cpu")
    assert "test: loss" in captured.out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["history"]["epoch"] == [1, 2]
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert metrics["history"]["val_acc"][-1] > 0.3  # two epochs already learn something
    assert (out / "checkpoint.pt").stat().st_size > 0
    assert "epoch   2/2" in captured.err  # the progress bar

    # --resume continues after the saved epoch instead of starting over
    captured = _run(capsys, name, "--epochs", "3", "--out", str(out), "--device", "cpu",
                    "--resume")
    assert "resumed from" in captured.out and "after epoch 2" in captured.out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["history"]["epoch"] == [1, 2, 3]


def test_digits_resume_reproduces_an_uninterrupted_run(tmp_path, capsys):
    pytest.importorskip("sklearn")
    _run(capsys, "digits-mlp", "--epochs", "2", "--out", str(tmp_path / "straight"))
    _run(capsys, "digits-mlp", "--epochs", "1", "--out", str(tmp_path / "resumed"))
    _run(capsys, "digits-mlp", "--epochs", "2", "--out", str(tmp_path / "resumed"), "--resume")
    straight = json.loads((tmp_path / "straight" / "metrics.json").read_text())
    resumed = json.loads((tmp_path / "resumed" / "metrics.json").read_text())
    assert resumed["history"]["train_loss"] == pytest.approx(straight["history"]["train_loss"])
    assert resumed["test_accuracy"] == straight["test_accuracy"]


def test_char_transformer_trains_and_samples(tmp_path, capsys):
    out = tmp_path / "char"
    captured = _run(capsys, "char-transformer", "--steps", "4", "--eval-every", "2",
                    "--n-layer", "1", "--n-embd", "16", "--n-head", "2", "--block-size", "16",
                    "--batch-size", "4", "--sample-chars", "10", "--out", str(out))
    assert "unigram entropy of the text" in captured.out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["history"]["step"] == [2, 4]
    assert len(metrics["sample"]) == len("The ") + 10
    assert 3.0 < metrics["unigram_entropy"] < 3.5
    assert (out / "checkpoint.pt").exists()


# ---- every demo unchanged on each device: --device cuda, and auto picks the GPU ------------
_NO_CUDA = cuda_backend.unavailable_reason()
_ON_GPU = [pytest.mark.cuda,
           pytest.mark.skipif(_NO_CUDA is not None, reason=f"no usable CUDA device: {_NO_CUDA}")]
_DEMO_ARGS = {
    "digits-mlp": ["--epochs", "2"],
    "digits-cnn": ["--epochs", "2"],
    "char-transformer": ["--steps", "4", "--eval-every", "2", "--n-layer", "1", "--n-embd", "16",
                         "--n-head", "2", "--block-size", "16", "--batch-size", "4",
                         "--sample-chars", "10"],
}


@pytest.mark.parametrize("device, expected", [
    ("cpu", "cpu"),
    pytest.param("cuda", "cuda", marks=_ON_GPU),
    pytest.param("auto", "cuda", marks=_ON_GPU, id="auto-cuda"),
])
@pytest.mark.parametrize("name", sorted(_DEMO_ARGS))
def test_every_demo_runs_unchanged_on_each_device(name, device, expected, tmp_path, capsys):
    if name.startswith("digits"):
        pytest.importorskip("sklearn")
    out = tmp_path / name
    _run(capsys, name, *_DEMO_ARGS[name], "--device", device, "--out", str(out))
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["device"] == expected
    losses = metrics["history"]["train_loss"]
    assert losses and all(math.isfinite(loss) for loss in losses)  # no NaN from a kernel
    assert (out / "checkpoint.pt").stat().st_size > 0
