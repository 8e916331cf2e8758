"""Tests of the Discoveries by Year and Size Distribution tabs and the shared view behaviour."""
