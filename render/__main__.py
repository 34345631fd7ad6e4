"""`python -m render` runs the CLI."""

from render.entry import main

main()
