"""The benchmark suite runs and reports what it measured (structure only: benchmarks measure,
tests check correctness, so nothing here asserts on a time)."""

from __future__ import annotations

import json
import sys

import pytest

from benchmarks import report, run
from benchmarks.timing import Impl, Plan, measure
from benchmarks.workloads import ALL, BY_NAME, gpu
from gradgpu.backend import cuda as _cuda

_TINY = Plan(warmup_calls=1, warmup_s=0.0, budget_s=0.0, settle_s=0.0, block_s=0.0,
             min_rounds=3, max_rounds=3)


@pytest.fixture
def tiny_plan(monkeypatch):
    """Three rounds of one call, no warm-up time: these tests check structure, not speed."""
    monkeypatch.setattr(run, "QUICK", _TINY)


@pytest.fixture
def no_torch(monkeypatch):
    """Make ``import torch`` fail, as on a machine (or CI) without PyTorch."""
    monkeypatch.setitem(sys.modules, "torch", None)


def _entry(doc, name):
    return next(e for e in doc["workloads"] if e["name"] == name)


def test_quick_run_without_torch_reports_empty_torch_columns(tiny_plan, no_torch, tmp_path):
    doc = run.run_suite("cpu", only=["per_op_fwd", "mlp_step"], quick=True)
    assert doc["device"] == "cpu" and doc["quick"] is True
    m = doc["machine"]
    for key in ("cpu_model", "cpu_count", "python", "numpy", "numpy_blas", "gradgpu", "env"):
        assert key in m
    assert m["torch"] is None and m["torch_reason"].startswith("not installed")
    assert set(m["env"]) >= {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"}
    assert [e["name"] for e in doc["workloads"]] == ["per_op_fwd", "mlp_step"]
    for e in doc["workloads"]:
        assert e["status"] == "ok"
        g, raw = e["results"]["gradgpu"], e["results"]["raw"]
        assert g["samples"] == raw["samples"] == g["rounds"] == 3
        assert g["q1_s"] <= g["median_s"] <= g["q3_s"]
        assert e["ratios"]["gradgpu/raw"] == pytest.approx(g["median_s"] / raw["median_s"])
        assert e["ratios"]["gradgpu/torch"] is None
        assert e["results"]["torch"]["na"].startswith("not installed")
    assert _entry(doc, "per_op_fwd")["results"]["gradgpu"]["inner"] > 1
    # The hand-written NumPy MLP step starts from gradgpu's weights: same first loss.
    mlp = _entry(doc, "mlp_step")
    assert mlp["agreement"]["raw"] < 1e-5
    table = report.format_table(doc)
    assert "not installed" in table and "per_op_fwd" in table and "mlp_step" in table

    paths = run.save(doc, tmp_path, chart=False)
    saved = json.loads(paths["json"].read_text())
    assert saved["workloads"][1]["ratios"]["gradgpu/raw"] == mlp["ratios"]["gradgpu/raw"]
    assert "mlp_step" in paths["txt"].read_text()


def test_command_line_writes_json_table_and_chart(tiny_plan, no_torch, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    rc = run.main(["--quick", "--only", "overhead", "--device", "cpu", "--out", str(tmp_path)])
    assert rc == 0
    out = capsys.readouterr().out
    for name in ("per_op_fwd", "per_op_fwd_bwd", "chain_1000", "wide_1000"):
        assert name in out
    files = sorted(p.suffix for p in tmp_path.iterdir())
    assert files == [".json", ".png", ".txt"]
    doc = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert all(e["family"] == "overhead" for e in doc["workloads"])
    assert all(e["ratios"]["gradgpu/raw"] > 0 for e in doc["workloads"])


def test_gpu_workloads_are_skipped_with_a_reason_on_the_cpu(tiny_plan, no_torch):
    doc = run.run_suite("cpu", only=["gpu"], quick=True)
    assert len(doc["workloads"]) == len(gpu.WORKLOADS)
    for e in doc["workloads"]:
        assert e["status"] == "skipped" and "cuda only" in e["reason"]
    assert "skipped:" in report.format_table(doc)


def test_gpu_workload_code_runs_at_toy_size_on_the_cpu(no_torch):
    """The GPU rows can only be timed on a GPU, but their code (and the raw-array math they are
    compared with) is exercised here with NumPy, so the rare GPU run does not fail on a typo."""
    ctx = run.make_context("cpu", True, None, "not installed")
    for w in gpu.WORKLOADS:
        built = w.build(ctx)
        assert set(built.impls) == {"gradgpu", "raw"}
        outs = {k: impl.fn() for k, impl in built.impls.items()}
        assert built.extra.get("bytes") or built.extra.get("flops")
        if built.check:
            assert run._scalar(outs["gradgpu"]) == pytest.approx(run._scalar(outs["raw"]),
                                                                 rel=1e-5)
    entry = {"results": {"gradgpu": {"median_s": 2.0}, "raw": {"median_s": 1.0}},
             "extra": {"bytes": 4e9}}
    derived = report.derive(entry, copy_bandwidth=4.0)
    assert derived["GB/s"] == {"gradgpu": 2.0, "raw": 4.0}
    assert derived["of_copy_bw"] == {"gradgpu": 0.5, "raw": 1.0}


def test_with_pytorch_the_models_do_the_same_work(tiny_plan):
    pytest.importorskip("torch")
    doc = run.run_suite("cpu", only=["cnn_step", "per_op_fwd_bwd"], quick=True)
    cnn = _entry(doc, "cnn_step")
    assert cnn["agreement"]["torch"] < 1e-4  # same weights, same data, same first loss
    assert cnn["results"]["raw"]["na"].startswith("n/a")
    for e in doc["workloads"]:
        r = e["ratios"]["gradgpu/torch"]
        assert r == pytest.approx(e["results"]["gradgpu"]["median_s"]
                                  / e["results"]["torch"]["median_s"])


@pytest.mark.parametrize("settle", [0.0, 1e-9])
def test_measure_interleaves_implementations(settle):
    order = []
    impls = {name: Impl(fn=lambda name=name: order.append(name), inner=2) for name in "abc"}
    plan = Plan(warmup_calls=2, warmup_s=0.0, budget_s=0.0, settle_s=settle, block_s=0.0,
                min_rounds=4, max_rounds=4)
    results = measure(impls, plan)
    assert order[:6] == ["a", "a", "b", "b", "c", "c"]  # warm-up, each in turn
    # Then round-robin rounds; with a settle time each block starts with one untimed call.
    per_block = 2 if settle else 1
    assert order[6:] == [n for n in "abc" for _ in range(per_block)] * 4
    assert all(len(m.times) == 4 and m.rounds == 4 for m in results.values())


def test_only_rejects_unknown_names_and_cuda_needs_a_gpu(capsys):
    with pytest.raises(SystemExit, match="unknown workload"):
        run.select(["no_such_workload"])
    assert {w.name for w in run.select(["model"])} == {"mlp_step", "cnn_step",
                                                        "char_transformer_step"}
    assert set(BY_NAME) == {w.name for w in ALL}
    if _cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert run.main(["--device", "cuda", "--quick"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err


def test_each_finished_workload_is_handed_on_so_a_stopped_run_keeps_its_rows(tiny_plan, no_torch):
    seen = []
    run.run_suite("cpu", only=["per_op_fwd", "chain_1000"], quick=True,
                  after_each=lambda doc: seen.append([e["name"] for e in doc["workloads"]]))
    assert seen == [["per_op_fwd"], ["per_op_fwd", "chain_1000"]]


def test_profile_step_reports_a_workloads_host_time():
    from benchmarks import profile_step

    report_text = profile_step.profile_workload("cpu", "per_op_fwd", calls=2, top=5)
    assert report_text.startswith("per_op_fwd on cpu: median ")
    assert "by tottime" in report_text and "by cumulative" in report_text
