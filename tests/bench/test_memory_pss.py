"""bench.memory's PSS points: the median of several samples of a process tree, with their range."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from bench.memory_procs import sampled_pss_mb, total_pss_mb, tree_memory


def test_the_pss_of_a_tree_counts_its_children_and_is_the_median_of_samples_within_their_range():
    child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(64 * 2**20); time.sleep(30)"])
    try:
        time.sleep(1.0)  # the child has started and touched its 64 MB
        once = total_pss_mb(tree_memory(os.getpid()))
        median, low, high = sampled_pss_mb(os.getpid(), samples=3, gap_s=0.05)
    finally:
        child.kill()
        child.wait()
    assert low <= median <= high
    assert median >= 64  # the tree is this process and its children: the child's bytes count
    assert abs(median - once) < 32
