"""Rules of this family (being written)."""
