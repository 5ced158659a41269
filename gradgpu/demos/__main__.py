"""``python -m gradgpu.demos NAME [options]``: run a training demo (``--help`` per demo)."""

from __future__ import annotations

import sys


def _digits(name):
    def run(argv):
        from . import digits

        return digits.main(name, argv)

    return run


def _char_transformer(argv):
    from . import char_transformer

    return char_transformer.main(argv)


DEMOS = {
    "digits-mlp": _digits("digits-mlp"),
    "digits-cnn": _digits("digits-cnn"),
    "char-transformer": _char_transformer,
}


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip() + "\n\ndemos: " + ", ".join(DEMOS))
        return
    name, rest = argv[0], argv[1:]
    if name not in DEMOS:
        raise SystemExit(f"unknown demo {name!r}; available: {', '.join(DEMOS)}")
    DEMOS[name](rest)


if __name__ == "__main__":
    main()
