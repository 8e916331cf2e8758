"""README's architecture section names every package directory and top-level module of the code."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_architecture_section_lists_every_package_dir_and_module():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    package = REPO / "dashboard_app"
    parts = [p.name + "/" for p in package.iterdir() if (p / "__init__.py").is_file()]
    parts += [p.name for p in package.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    missing = [name for name in sorted(parts) if f"`dashboard_app/{name}" not in section]
    assert missing == [], f"README.md ## Architecture does not mention {missing}"
