"""Root test configuration: shared harness fixtures live in ``tests/harness/``."""

pytest_plugins = [
    "tests.harness.snapshots",
    "tests.harness.server",
    "tests.harness.browser",
    "tests.harness.postgres",
]
