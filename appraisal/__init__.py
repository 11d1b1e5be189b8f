"""The headteacher performance-management cycle as a pure domain model (standard library only)."""
