"""Pure analysis functions over snapshot frames (no Dash, no I/O), one module per tab plus shared filters."""
