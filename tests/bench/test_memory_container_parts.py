"""bench.memory --container's split of the container's memory (cgroup ``memory.stat``) and its report rows."""

from __future__ import annotations

import argparse

from bench.memory_container import ContainerRun
from bench.memory_report import report
from tests.container.engine import MemoryParts, parse_memory_stat

MB = 2**20

V1 = """cache 50331648
rss 209715200
rss_huge 0
shmem 26214400
mapped_file 2113536
total_cache 62914560
total_rss 220200960
total_shmem 26214400
hierarchical_memory_limit 1073741824
"""

V2 = """anon 209715200
file 62914560
kernel 8388608
shmem 26214400
file_mapped 2113536
"""


def test_cgroup_v1_totals_are_split_into_processes_tmpfs_and_reclaimable_cache() -> None:
    parts = MemoryParts.of(parse_memory_stat(V1))
    assert parts == MemoryParts(anon=220200960, shmem=26214400, cache=62914560 - 26214400)  # the hierarchy's totals


def test_cgroup_v1_without_hierarchy_totals_uses_the_cgroups_own_counters() -> None:
    own = "\n".join(line for line in V1.splitlines() if not line.startswith("total_"))
    expected = MemoryParts(anon=209715200, shmem=26214400, cache=50331648 - 26214400)
    assert MemoryParts.of(parse_memory_stat(own)) == expected


def test_cgroup_v2_file_pages_less_tmpfs_are_the_reclaimable_cache() -> None:
    assert MemoryParts.of(parse_memory_stat(V2)) == MemoryParts(anon=209715200, shmem=26214400, cache=36700160)


def test_lines_of_another_shape_are_skipped() -> None:
    assert parse_memory_stat("anon 5\nnoise\nfile x\n\nshmem 2\n") == {"anon": 5, "shmem": 2}


def _args() -> argparse.Namespace:
    return argparse.Namespace(users=20, workers="", scale=1.0)


def test_report_gives_each_part_idle_and_at_the_peak_and_a_dash_where_unread() -> None:
    run = ContainerRun("1g", idle_mb=300, peak_mb=700)
    run.idle_parts = MemoryParts(anon=200 * MB, shmem=25 * MB, cache=75 * MB)
    text = report([], [], run, _args())
    assert "| of which the processes' own (anon), idle → peak | 200 → — MB |" in text
    assert "| of which files in the `/tmp` tmpfs (not reclaimable), idle → peak | 25 → — MB |" in text
    assert "| of which page cache of other files (reclaimable), idle → peak | 75 → — MB |" in text
