"""Test harness: snapshots (fixtures shared by several test areas)."""
