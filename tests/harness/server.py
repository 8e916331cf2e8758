"""Test harness: server (fixtures shared by several test areas)."""
