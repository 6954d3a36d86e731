"""`python -m drafter`: the same as the `draft` command."""

from drafter.cli import main

main()
