"""The dashboard's tabs, in display order: one module per tab (see each module's PATH, NAME, ORDER)."""

TAB_MODULES: list[str] = [
    "dashboard_app.tabs.about",
]
