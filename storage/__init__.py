"""The SQL store: tables, repositories implementing the domain ports, and migrations."""
