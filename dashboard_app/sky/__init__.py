"""The synthetic sky: a deterministic generator of ``mpc_sbn``-shaped source tables and their known snapshot."""
