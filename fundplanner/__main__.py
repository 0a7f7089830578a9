"""``python -m fundplanner`` is the same as the ``fundplanner`` command."""

from fundplanner.cli import main

main()
