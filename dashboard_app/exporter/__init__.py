"""The nightly exporter: PostgreSQL ``mpc_sbn`` → validated SQLite snapshot, published atomically.

- ``command.py``: the ``neo-explorer export`` subcommand (exit codes in ``errors.py``);
- ``settings.py``: its environment variables; ``connection.py``: the read-only session;
- ``queries.py``: the SQL of each stage; ``setup_sql.py``: the indexes the operator creates;
- ``fetch.py``: COPY → typed frames; ``tables.py``: pure frames → snapshot tables;
- ``export.py``: one export inside ``snapshot.publish.publish``; ``plans.py``: EXPLAIN helpers.
"""
