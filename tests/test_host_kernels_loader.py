"""The loader of the compiled host kernels (gradgpu/backend/host_build.py): the environment
switch, no compiler or a failing one (the NumPy code, with the reason), the disk cache and its
reuse, damaged cached files rebuilt, an unusable or untrusted cache folder, first use from
several threads or processes at once, and a library that computes differently refused."""

from __future__ import annotations

import ctypes
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import pytest

from gradgpu.backend import host_build, host_kernels

LIB = host_kernels.library()
needs_lib = pytest.mark.skipif(LIB is None, reason=f"host kernels: {host_kernels.status()}")


def _status_in_subprocess(env: dict) -> str:
    code = textwrap.dedent("""
        import numpy as np, gradgpu
        from gradgpu.backend import host_kernels
        x = gradgpu.tensor(np.linspace(-3, 3, 7, dtype=np.float32))
        y = gradgpu.nn.functional.gelu(x)  # works either way
        assert abs(float(y[-1]) - 2.99595) < 1e-4
        print(host_kernels.status())
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_environment_switch_keeps_everything_on_numpy():
    assert _status_in_subprocess({host_kernels.DISABLE_ENV: "0"}).startswith("disabled")


def test_no_compiler_means_the_numpy_code_with_the_reason(tmp_path):
    status = _status_in_subprocess({"CXX": "", "PATH": str(tmp_path),
                                    "GRADGPU_CACHE_DIR": str(tmp_path / "cache")})
    assert status.startswith("not in use: no C++ compiler found"), status


def test_a_compiler_that_fails_means_the_numpy_code_with_its_message(tmp_path):
    cxx = tmp_path / "broken-c++"
    cxx.write_text("#!/bin/sh\necho 'internal compiler error: sorry' >&2\nexit 1\n")
    cxx.chmod(0o755)
    status = _status_in_subprocess({"CXX": str(cxx), "GRADGPU_CACHE_DIR": str(tmp_path)})
    assert status.startswith(f"not in use: {cxx} could not build"), status
    assert status.endswith("internal compiler error: sorry")
    assert not list((tmp_path / "host").iterdir())  # no temporaries left


@needs_lib
def test_a_built_library_is_cached_and_reused(tmp_path):
    env = {"GRADGPU_CACHE_DIR": str(tmp_path)}
    assert _status_in_subprocess(env).startswith(f"in use: {tmp_path}")
    built = _only_library(tmp_path / "host")
    stamp = built.stat().st_mtime_ns
    assert _status_in_subprocess(env) == f"in use: {built}"
    assert built.stat().st_mtime_ns == stamp  # not rebuilt


def _only_library(folder):
    """The one library in ``folder``, checking that only it and its digest are there (no
    temporaries left)."""
    (built,) = [p for p in folder.iterdir() if not p.name.endswith(".sha256")]
    assert sorted(folder.iterdir()) == [built, host_build._digest_file(built)]
    return built


@needs_lib
@pytest.mark.parametrize("damage", ["truncated", "another library"])
def test_a_damaged_cached_library_is_rebuilt(tmp_path, damage):
    """A truncated file (a crash before the data reached the disk) killed every later process
    with SIGBUS in dlopen; a loadable file without the entry points raised AttributeError out
    of every op. The digest written beside the build catches both: the file is built again."""
    env = {"GRADGPU_CACHE_DIR": str(tmp_path)}
    built = _copy_of_this_library(tmp_path / "host")
    if damage == "truncated":
        built.write_bytes(built.read_bytes()[:4000])
    else:
        src = tmp_path / "other.cpp"
        src.write_text('extern "C" int other() { return 1; }')
        subprocess.run([host_build._compiler(), "-shared", "-fPIC", "-o", str(built), str(src)],
                       check=True)
    assert not host_build._intact(built)
    assert _status_in_subprocess(env) == f"in use: {built}"
    assert host_build._intact(built) and _only_library(tmp_path / "host") == built


def _copy_of_this_library(folder):
    """The library this process uses and its digest, copied into ``folder`` (the name does not
    depend on the folder): a cache without a build."""
    used = pathlib.Path(host_kernels.status().removeprefix("in use: "))
    folder.mkdir()
    for p in (used, host_build._digest_file(used)):
        shutil.copy(p, folder / p.name)
    return folder / used.name


def _copying_compiler(tmp_path):
    """A stand-in $CXX that takes a moment, then writes this process's library to its -o path:
    the loader's folders, races and caching without the cost of real builds."""
    used = host_kernels.status().removeprefix("in use: ")
    cxx = tmp_path / "copying-c++"
    cxx.write_text('#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done\n'
                   f'sleep 0.3\ncp "{used}" "$out"\n')
    cxx.chmod(0o755)
    return str(cxx)


@needs_lib
def test_an_unusable_cache_folder_falls_back_to_a_private_temporary_one(tmp_path):
    """A cache path that is a file (or on a read-only file system) raised an OSError other than
    PermissionError, which skipped the temporary folder."""
    (tmp_path / "cache").write_text("not a folder")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {"GRADGPU_CACHE_DIR": str(tmp_path / "cache"), "TMPDIR": str(temp),
           "CXX": _copying_compiler(tmp_path)}
    status = _status_in_subprocess(env)
    assert status.startswith(f"in use: {temp / f'gradgpu-host-{os.getuid()}'}"), status
    assert (temp / f"gradgpu-host-{os.getuid()}").stat().st_mode & 0o077 == 0


@needs_lib
@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX ownership")
def test_a_temporary_folder_others_can_write_is_not_trusted(tmp_path):
    """The fallback folder was /tmp/gradgpu-host, shared by every user: anyone could plant a
    library under the (predictable) name that the next user would load."""
    (tmp_path / "cache").write_text("not a folder")
    temp = tmp_path / "tmp"
    shared = temp / f"gradgpu-host-{os.getuid()}"
    shared.mkdir(parents=True)
    shared.chmod(0o777)
    env = {"GRADGPU_CACHE_DIR": str(tmp_path / "cache"), "TMPDIR": str(temp)}
    status = _status_in_subprocess(env)
    assert status.startswith("not in use: no writable folder") and "not a private" in status
    assert not list(shared.iterdir())


@needs_lib
def test_first_use_from_several_threads_builds_once(tmp_path):
    code = textwrap.dedent("""
        import threading, time
        from gradgpu.backend import host_build as h
        real, calls = h._compile, []
        def slow(*args):  # widen the window in which a second thread could start a build
            calls.append(1)
            time.sleep(0.2)
            return real(*args)
        h._compile = slow
        out, go = [], threading.Barrier(4)
        def first():
            go.wait()
            out.append(h.library())
        threads = [threading.Thread(target=first) for _ in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert len(calls) == 1 and out[0] is not None, (calls, h.status())
        assert all(lib is out[0] for lib in out)
    """)
    env = {**os.environ, "GRADGPU_CACHE_DIR": str(tmp_path), "CXX": _copying_compiler(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr


@needs_lib
def test_processes_that_build_at_once_each_get_a_complete_library(tmp_path):
    code = "from gradgpu.backend import host_kernels as h; h.library(); print(h.status())"
    env = {**os.environ, "GRADGPU_CACHE_DIR": str(tmp_path / "cache"),
           "CXX": _copying_compiler(tmp_path)}
    runs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             env=env) for _ in range(3)]
    outs = [r.communicate(timeout=300)[0].strip() for r in runs]
    built = _only_library(tmp_path / "cache" / "host")
    assert outs == [f"in use: {built}"] * 3


def test_a_library_that_computes_differently_is_refused():
    class Wrong:  # erf that writes zeros: what a miscompiled (fast-math) build might give
        @staticmethod
        def gradgpu_host_erf_fwd_f32(x, y, n):
            ctypes.memset(y, 0, 4 * n)

    assert not host_build._self_test(Wrong())


@needs_lib
def test_a_build_removes_libraries_left_stale_by_other_sources(tmp_path):
    folder = tmp_path / "cache" / "host"
    folder.mkdir(parents=True)
    old, recent = folder / "host_kernels-0000old.so", folder / "host_kernels-0000new.so"
    for p in (old, host_build._digest_file(old), recent, host_build._digest_file(recent)):
        p.write_text("a build of another source")
    week_ago = os.path.getmtime(old) - host_build.STALE_SECONDS - 60
    for p in (old, host_build._digest_file(old)):
        os.utime(p, (week_ago, week_ago))
    env = {"GRADGPU_CACHE_DIR": str(tmp_path / "cache"), "CXX": _copying_compiler(tmp_path)}
    assert _status_in_subprocess(env).startswith(f"in use: {folder}")
    left = {p.name for p in folder.iterdir()}
    assert old.name not in left and host_build._digest_file(old).name not in left
    assert recent.name in left  # another version's recent build: kept


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_a_child_forked_during_a_build_can_load_on_its_own():
    code = textwrap.dedent("""
        import os, threading
        from gradgpu.backend import host_build
        host_build._LOCK.acquire()  # as if another thread were building when the fork came
        pid = os.fork()
        if pid == 0:
            done = []
            t = threading.Thread(target=lambda: done.append(host_build.library()), daemon=True)
            t.start()
            t.join(30)
            os._exit(0 if done else 3)
        _, status = os.waitpid(pid, 0)
        host_build._LOCK.release()
        raise SystemExit(os.waitstatus_to_exitcode(status))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr)
