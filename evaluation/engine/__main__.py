"""`python -m evaluation.engine COMMAND ...`: the `isp-eval` command without installing the package."""

from .cli import main

raise SystemExit(main())
