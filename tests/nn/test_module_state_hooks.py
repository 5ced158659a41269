"""state_dict / load_state_dict hooks and metadata, as PyTorch's (behaviour checked against
PyTorch 2.13 with the same code)."""

from __future__ import annotations

import pytest

import gradgpu
from gradgpu import nn


def _model():
    return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))


def test_state_dict_carries_version_metadata_per_module():
    sd = _model().state_dict()
    assert dict(sd._metadata) == {"": {"version": 1}, "0": {"version": 1},
                                  "1": {"version": 2}}
    assert list(sd) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                        "1.running_var", "1.num_batches_tracked"]


def test_state_dict_pre_and_post_hooks():
    m = _model()
    calls = []
    m[0].register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append(
        ("pre", prefix, keep_vars)))

    def post(mod, state_dict, prefix, local_metadata):
        calls.append(("post", prefix, dict(local_metadata)))
        state_dict[prefix + "extra"] = gradgpu.zeros(1)

    handle = m[1].register_state_dict_post_hook(post)
    sd = m.state_dict(keep_vars=True)
    assert calls == [("pre", "0.", True), ("post", "1.", {"version": 2})]
    assert "1.extra" in sd
    handle.remove()
    assert "1.extra" not in m.state_dict()

    m.register_state_dict_post_hook(lambda *a: {})
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        m.state_dict()


def test_the_private_post_hook_may_replace_the_state_dict():
    m = nn.Linear(2, 2)
    m._register_state_dict_hook(
        lambda mod, sd, prefix, meta: {k.upper(): v for k, v in sd.items()})
    assert list(m.state_dict()) == ["WEIGHT", "BIAS"]


def test_load_pre_hook_can_rename_old_keys_and_post_hook_can_forgive_missing_ones():
    src = nn.Linear(2, 3)
    old = {"w": src.weight.detach().clone(), "b": src.bias.detach().clone()}
    dst = nn.Linear(2, 3)
    seen = []

    def rename(mod, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
        seen.append((mod is dst, prefix, dict(local_metadata), strict))
        for short, full in (("w", "weight"), ("b", "bias")):
            if prefix + short in state_dict:
                state_dict[prefix + full] = state_dict.pop(prefix + short)

    dst.register_load_state_dict_pre_hook(rename)
    result = dst.load_state_dict(old)
    assert seen == [(True, "", {}, True)] and not result.missing_keys
    assert dst.weight.tolist() == src.weight.tolist()

    m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    sd = {k: v for k, v in m.state_dict().items() if not k.startswith("1.")}

    def forgive(mod, incompatible):
        incompatible.missing_keys[:] = [k for k in incompatible.missing_keys
                                        if not k.startswith("1.")]

    m[1].register_load_state_dict_post_hook(forgive)
    assert m.load_state_dict(sd).missing_keys == []  # strict, yet no error

    m[0].register_load_state_dict_post_hook(lambda mod, keys: keys)
    with pytest.raises(AssertionError, match="not expected to return new values"):
        m.load_state_dict(sd)


def test_assign_reaches_local_metadata_and_batch_norm_follows_its_version():
    m = nn.Linear(2, 2)
    metas = []
    m.register_load_state_dict_pre_hook(lambda mod, sd, prefix, meta, *rest: metas.append(
        dict(meta)))
    sd = nn.Linear(2, 2).state_dict()
    m.load_state_dict(sd, assign=True)
    assert metas == [{"version": 1, "assign_to_params_buffers": True}]
    assert m.weight is not None and m.weight._data is sd["weight"]._data

    bn = nn.BatchNorm1d(3)
    current = bn.state_dict()
    legacy = {k: v for k, v in current.items() if k != "num_batches_tracked"}
    assert not bn.load_state_dict(legacy).missing_keys  # no metadata: an old checkpoint
    versioned = type(current)(legacy)
    versioned._metadata = current._metadata  # version 2 says the key should be there
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: '
                                           '"num_batches_tracked"'):
        bn.load_state_dict(versioned)


def test_a_subclass_overriding_load_from_state_dict_with_pytorchs_signature():
    class Renamed(nn.Linear):
        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                  missing_keys, unexpected_keys, error_msgs):
            if prefix + "kernel" in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(prefix + "kernel")
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                          missing_keys, unexpected_keys, error_msgs)

    m = nn.Sequential(Renamed(2, 2))
    m.load_state_dict({"0.kernel": gradgpu.ones(2, 2), "0.bias": gradgpu.zeros(2)})
    assert m[0].weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_a_saved_state_dict_keeps_its_metadata(tmp_path):
    sd = _model().state_dict()
    gradgpu.save(sd, tmp_path / "m.pt")
    loaded = gradgpu.load(tmp_path / "m.pt")
    assert loaded._metadata == sd._metadata
    model = _model()
    assert not model.load_state_dict(loaded).missing_keys
