"""Parsers: pure functions from one Android output format's text to typed records."""
