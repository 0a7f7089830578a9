"""fundplanner: plan, cost and ship the starting collection of a trilingual library."""

__version__ = "0.1.0"
