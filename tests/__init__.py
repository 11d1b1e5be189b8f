"""Tests: the domain, the store on SQLite and PostgreSQL, the CLI."""
