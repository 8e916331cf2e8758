"""Test harness: browser (fixtures shared by several test areas)."""
