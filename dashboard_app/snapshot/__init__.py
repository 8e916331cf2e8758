"""Snapshot contract (schema), publishing, loading and the app's snapshot store."""
