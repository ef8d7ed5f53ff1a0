"""lrtui's own lint checks: an import-linter contract type and the size rules (`make lint`)."""
