"""Adaptive Card builders: pure functions from a view model to card JSON."""
