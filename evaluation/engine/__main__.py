"""`python -m evaluation.engine COMMAND ...`: the `isp-eval` command without installing the package."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
