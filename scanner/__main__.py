"""`python -m scanner …`: the one command-line entry point."""

from scanner.cli import main

raise SystemExit(main())
