"""The dashboard's tabs, in display order: one module per tab (see each module's PATH, NAME, ORDER)."""

TAB_MODULES: list[str] = [
    "dashboard_app.tabs.discoveries",
    "dashboard_app.tabs.sizes",
    "dashboard_app.tabs.comparison",
    "dashboard_app.tabs.followup",
    "dashboard_app.tabs.sites",
    "dashboard_app.tabs.circumstances",
    "dashboard_app.tabs.about",
]
