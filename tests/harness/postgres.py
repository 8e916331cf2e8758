"""Test harness: postgres (fixtures shared by several test areas)."""
