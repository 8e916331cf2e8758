"""The source-table description matches the mpc_sbn names the exporter's SQL uses."""

from dashboard_app.sky import source_schema


def test_ddl_creates_each_source_table_with_its_real_column_names():
    statements = source_schema.ddl()
    assert len(statements) == 5
    obs = next(s for s in statements if s.startswith("CREATE TABLE obs_sbn "))
    for fragment in (
        "id bigint NOT NULL",
        "obstime timestamp(6) without time zone",
        "disc character(1)",
        "deprecated character(1)",
        "ra numeric",
        "dec numeric",
    ):
        assert fragment in obs


def test_every_table_has_unique_column_names_and_indexes_name_existing_columns():
    for table in source_schema.SOURCE_TABLES:
        names = table.column_names
        assert len(names) == len(set(names)), table.name
        for index in table.indexes:
            assert set(index) <= set(names), (table.name, index)
