"""``python -m gradgpu.demos [name] [options]``: run a training demo (default: spiral)."""

from __future__ import annotations

import sys

DEMOS = {"spiral": "gradgpu.demos.spiral"}


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    name = argv.pop(0) if argv and not argv[0].startswith("-") else "spiral"
    if name not in DEMOS:
        raise SystemExit(f"unknown demo {name!r}; available: {', '.join(DEMOS)}")
    import importlib

    importlib.import_module(DEMOS[name]).main(argv)


if __name__ == "__main__":
    main()
