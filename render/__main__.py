"""`python -m render` runs the CLI."""

from render.cli import main

main()
