"""gradgpu.utils.data: datasets, samplers, collation and DataLoader determinism."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import gradgpu
from gradgpu.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)


def make_ds(n=10):
    return TensorDataset(gradgpu.arange(n * 2.0).reshape(n, 2), gradgpu.arange(n))


def order(loader) -> list[int]:
    """The sample indices a loader over make_ds() visits, batch by batch."""
    return [int(i) for _, y in loader for i in y.tolist()]


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return self.n


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


# ---- datasets ----------------------------------------------------------------------------------

def test_tensor_dataset():
    x, y = gradgpu.randn(5, 3), gradgpu.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi.numpy(), x.numpy()[2])
    assert yi.item() == 2 and ds[-1][1].item() == 4
    with pytest.raises(IndexError):
        ds[5]


def test_tensor_dataset_errors():
    with pytest.raises(ValueError, match=r"Size mismatch between tensors: .*\[3, 4\]"):
        TensorDataset(gradgpu.zeros(3, 2), gradgpu.zeros(4))
    with pytest.raises(ValueError, match="argument 1 is a 0-d tensor"):
        TensorDataset(gradgpu.zeros(3), gradgpu.tensor(1.0))
    with pytest.raises(TypeError, match="argument 0 is a ndarray, not a Tensor"):
        TensorDataset(np.zeros(3))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()


def test_subset_concat_and_chain():
    sq = Squares(5)
    sub = Subset(sq, [4, 0, 2])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [16, 0, 4]
    assert sub.__getitems__([2, 0]) == [4, 16]
    cat = sq + Squares(3)
    assert isinstance(cat, ConcatDataset) and len(cat) == 8
    assert [cat[i] for i in range(8)] == [0, 1, 4, 9, 16, 0, 1, 4]
    assert cat[-1] == 4 and cat[-8] == 0
    with pytest.raises(IndexError, match="index 8 is out of range"):
        cat[8]
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        cat[-9]
    with pytest.raises(TypeError, match="does not support IterableDataset"):
        ConcatDataset([sq, Stream(2)])
    chained = Stream(2) + Stream(3)
    assert isinstance(chained, ChainDataset) and list(chained) == [0, 1, 0, 1, 2]
    assert len(chained) == 5
    with pytest.raises(NotImplementedError, match="should implement __getitem__"):
        Dataset()[0]


def test_random_split_fractions_and_lengths():
    parts = random_split(range(10), [0.33, 0.33, 0.34])
    assert [len(p) for p in parts] == [4, 3, 3]  # floors 3,3,3; one left over goes to split 0
    seen = sorted(i for p in parts for i in p)
    assert seen == list(range(10))  # disjoint and covering
    a = random_split(range(7), [5, 2], generator=gradgpu.Generator().manual_seed(3))
    b = random_split(range(7), [5, 2], generator=gradgpu.Generator().manual_seed(3))
    assert list(a[0]) == list(b[0]) and list(a[1]) == list(b[1])
    gradgpu.manual_seed(1)
    c = random_split(range(50), [25, 25])
    gradgpu.manual_seed(1)
    d = random_split(range(50), [25, 25])
    assert list(c[0]) == list(d[0]) and list(c[0]) != list(range(25))
    assert isinstance(a[0], Subset) and a[0].dataset == range(7)


def test_random_split_errors_and_warning():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        random_split(range(10), [1.5, -0.5])
    with pytest.raises(ValueError, match="non-negative integers or fractions.*index 0"):
        random_split(range(10), [0.5, 9.5])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        parts = random_split(range(2), [0.9, 0.1])
    assert [len(p) for p in parts] == [2, 0]


# ---- samplers ----------------------------------------------------------------------------------

def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    gen = gradgpu.Generator().manual_seed(0)
    perm = list(RandomSampler(range(20), generator=gen))
    assert sorted(perm) == list(range(20)) and perm != list(range(20))
    more = list(RandomSampler(range(5), num_samples=12, generator=gen))
    assert len(more) == 12 and sorted(more[:10]) == sorted(list(range(5)) * 2)
    draws = list(RandomSampler(range(3), replacement=True, num_samples=100, generator=gen))
    assert len(draws) == 100 and set(draws) == {0, 1, 2}
    sub = list(SubsetRandomSampler([10, 20, 30], generator=gen))
    assert sorted(sub) == [10, 20, 30]
    assert list(BatchSampler(range(7), 3, drop_last=False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2


def test_sampler_errors():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but "
                                         "got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler([])
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)


# ---- DataLoader --------------------------------------------------------------------------------

def test_sequential_batches_len_and_drop_last():
    ds = make_ds(10)
    loader = DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    x, y = batches[0]
    assert x.shape == (4, 2) and y.tolist() == [0, 1, 2, 3]
    np.testing.assert_array_equal(x.numpy(), np.arange(8.0).reshape(4, 2))
    assert batches[-1][1].tolist() == [8, 9]
    dropped = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and order(dropped) == list(range(8))
    assert len(DataLoader(ds)) == 10 and len(DataLoader(ds, batch_size=10)) == 1


def test_shuffle_is_reproducible_with_manual_seed():
    ds = make_ds(32)
    gradgpu.manual_seed(123)
    first = [order(DataLoader(ds, batch_size=5, shuffle=True)) for _ in range(2)]
    gradgpu.manual_seed(123)
    again = [order(DataLoader(ds, batch_size=5, shuffle=True)) for _ in range(2)]
    assert first == again
    assert first[0] != first[1]  # each epoch draws a new permutation
    assert sorted(first[0]) == list(range(32)) and first[0] != list(range(32))
    gradgpu.manual_seed(124)
    assert order(DataLoader(ds, batch_size=5, shuffle=True)) != first[0]


def test_shuffle_with_explicit_generators():
    ds = make_ds(32)

    def run(seed, epochs=2):
        loader = DataLoader(ds, batch_size=8, shuffle=True,
                            generator=gradgpu.Generator().manual_seed(seed))
        return [order(loader) for _ in range(epochs)]

    assert run(7) == run(7)
    assert run(7) != run(8)
    gradgpu.manual_seed(0)
    a = run(7)
    gradgpu.manual_seed(99)  # the default generator plays no part
    assert run(7) == a


def test_num_workers_warns_and_loads_the_same_batches():
    ds = make_ds(9)
    with pytest.warns(UserWarning, match="num_workers=2 is accepted.*main process"):
        loader = DataLoader(ds, batch_size=4, shuffle=True, num_workers=2,
                            generator=gradgpu.Generator().manual_seed(5), persistent_workers=True)
    plain = DataLoader(ds, batch_size=4, shuffle=True, generator=gradgpu.Generator().manual_seed(5))
    assert order(loader) == order(plain) and get_worker_info() is None


def test_loader_options_and_errors():
    ds = make_ds(6)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, shuffle=True, sampler=SequentialSampler(ds))
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=[[0, 1]])
    with pytest.raises(ValueError, match="batch_size=None option disables auto-batching"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(ds, batch_size=0)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(4), shuffle=True)
    loader = DataLoader(ds, batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after "
                                         "DataLoader is initialized"):
        loader.batch_size = 3
    custom = DataLoader(ds, batch_sampler=[[5, 0], [3]])
    assert order(custom) == [5, 0, 3] and len(custom) == 2
    sampled = DataLoader(ds, sampler=[4, 2, 1], batch_size=2)
    assert order(sampled) == [4, 2, 1]
    summed = DataLoader(Squares(5), batch_size=2, collate_fn=sum)
    assert list(summed) == [1, 13, 16]


def test_unbatched_and_iterable_datasets():
    assert list(DataLoader(Squares(4), batch_size=None)) == [0, 1, 4, 9]
    arrays = list(DataLoader([np.ones(2), np.zeros(2)], batch_size=None))
    assert all(isinstance(a, gradgpu.Tensor) and a.dtype == gradgpu.float64 for a in arrays)
    stream = DataLoader(Stream(7), batch_size=3)
    batches = list(stream)
    assert [b.tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]] and len(stream) == 3
    dropped = DataLoader(Stream(7), batch_size=3, drop_last=True)
    assert len(list(dropped)) == 2 and len(dropped) == 2


def test_getitems_is_used_for_batches():
    class Batched(Squares):
        calls = 0

        def __getitems__(self, indices):
            Batched.calls += 1
            return [self[i] for i in indices]

    assert [b.tolist() for b in DataLoader(Batched(5), batch_size=2)] == [[0, 1], [4, 9], [16]]
    assert Batched.calls == 3
    sub = Subset(Batched(5), [4, 3])
    assert [b.tolist() for b in DataLoader(sub, batch_size=2)] == [[16, 9]]
    assert Batched.calls == 4


# ---- collation ---------------------------------------------------------------------------------

def test_collate_tensors_arrays_and_numbers():
    out = default_collate([gradgpu.ones(2, 3), gradgpu.zeros(2, 3)])
    assert out.shape == (2, 2, 3) and out.numpy()[0].sum() == 6
    arr = default_collate([np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int32)])
    assert arr.dtype == gradgpu.int32 and arr.shape == (2, 3)
    floats = default_collate([1.5, 2.0])
    assert floats.dtype == gradgpu.float64 and floats.tolist() == [1.5, 2.0]
    ints = default_collate([1, 2])
    assert ints.dtype == gradgpu.int64 and ints.tolist() == [1, 2]
    bools = default_collate([True, False])
    assert bools.dtype == gradgpu.bool and bools.tolist() == [True, False]
    scalars = default_collate([np.float32(1.0), np.float32(2.5)])
    assert scalars.dtype == gradgpu.float32 and scalars.tolist() == [1.0, 2.5]
    assert default_collate([np.int16(1), np.int16(2)]).dtype == gradgpu.int16
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_collate_containers():
    out = default_collate([{"x": np.ones(2), "label": 1, "name": "a"},
                           {"x": np.zeros(2), "label": 0, "name": "b"}])
    assert set(out) == {"x", "label", "name"} and out["x"].shape == (2, 2)
    assert out["label"].tolist() == [1, 0] and out["name"] == ["a", "b"]
    ordered = default_collate([collections.OrderedDict(a=1), collections.OrderedDict(a=2)])
    assert type(ordered) is collections.OrderedDict
    pairs = default_collate([(gradgpu.ones(2), 1), (gradgpu.zeros(2), 0)])
    assert isinstance(pairs, list) and pairs[0].shape == (2, 2) and pairs[1].tolist() == [1, 0]
    Point = collections.namedtuple("Point", "x y")
    pts = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert type(pts) is Point and pts.x.tolist() == [1, 3] and pts.y.dtype == gradgpu.float64
    nested = default_collate([[[1, 2]], [[3, 4]]])
    assert nested[0][0].tolist() == [1, 3] and nested[0][1].tolist() == [2, 4]


def test_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal "
                                           "size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers, "
                                        "dicts or lists; found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(RuntimeError, match="stack"):
        default_collate([gradgpu.ones(2), gradgpu.ones(3)])


def test_default_convert():
    out = default_convert({"a": np.arange(3), "b": (np.float64(2.0), "s"), "c": 1})
    assert isinstance(out["a"], gradgpu.Tensor) and out["a"].tolist() == [0, 1, 2]
    assert isinstance(out["b"], list) and out["b"][0].dtype == gradgpu.float64
    assert out["b"][1] == "s" and out["c"] == 1
    strings = np.array(["x"])
    assert default_convert(strings) is strings


def test_tensor_dataset_batches_are_one_gather_equal_to_stacked_samples():
    x, y = gradgpu.randn(23, 3), gradgpu.arange(23)
    ds = TensorDataset(x, y)
    for kwargs in ({"batch_size": 5}, {"batch_size": 4, "shuffle": True, "drop_last": True}):
        gen_a, gen_b = gradgpu.Generator().manual_seed(3), gradgpu.Generator().manual_seed(3)
        fast = list(DataLoader(ds, generator=gen_a, **kwargs))
        # a collate_fn of one's own takes the per-sample path: the reference
        slow = list(DataLoader(ds, generator=gen_b, collate_fn=lambda s: default_collate(s),
                               **kwargs))
        assert len(fast) == len(slow) and all(isinstance(b, list) for b in fast)
        for f, s in zip(fast, slow):
            assert gradgpu.equal(f[0], s[0]) and gradgpu.equal(f[1], s[1])
