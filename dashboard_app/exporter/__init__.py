"""The nightly exporter: PostgreSQL ``mpc_sbn`` → validated SQLite snapshot, published atomically.

- ``command.py``: the ``neo-explorer export`` subcommand (exit codes in ``errors.py``);
- ``settings.py``: its environment variables; ``connection.py``: the read-only session;
- ``queries.py``: the SQL of each stage; ``stages.py``: the stages, small tables once and ``obs_sbn``
  in NEO batches with client-side keys; ``fetch.py``: COPY → typed frames;
- ``tables.py``: pure frames → snapshot tables; ``export.py``: one export inside ``snapshot.publish.publish``;
- ``setup_sql.py``: the replica's indexes and the setup tiers; ``catalog.py``: indexes by definition;
  ``preflight.py``: ``export --check``; ``plans.py``: EXPLAIN helpers.
"""
