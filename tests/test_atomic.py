"""A user's file is replaced whole or not at all, even by a process killed mid-write."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from pytest_releaseplan import atomic

WRITER = """
import sys
from pathlib import Path
from pytest_releaseplan import atomic
path = Path(sys.argv[1])
texts = [("a" * 4_000_000) + "\\n", ("b" * 4_000_000) + "\\n"]
i = 0
while True:
    atomic.replace_text(path, texts[i % 2])
    i += 1
"""


def test_a_writer_killed_at_random_moments_leaves_an_old_or_a_new_file(tmp_path: Path) -> None:
    """The fuzzer's seed 7028: `write_text` truncates first, so a kill could leave an empty
    pyproject. Here a real process rewrites a 4 MB file in a loop and is `kill -9`ed at
    random moments, twelve times: every time the file is one whole text, never a part."""
    path = tmp_path / "pyproject.toml"
    path.write_text("a" * 4_000_000 + "\n")
    rng = random.Random(7028)
    for _ in range(12):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)])
        time.sleep(0.3 + rng.random() * 0.4)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
        text = path.read_text()
        assert text in ("a" * 4_000_000 + "\n", "b" * 4_000_000 + "\n"), (len(text), text[:3])
    # a writer killed between its temp file and the rename leaves that temp file: the
    # resumed run removes it (publish/session.py); this is how it finds them
    left = {p for p in tmp_path.iterdir() if p.name != "pyproject.toml"}
    assert left == set(atomic.leftovers(path)), left


def test_mode_and_symlinks_are_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    real.write_text("old\n")
    os.chmod(real, 0o640)
    link = tmp_path / "pyproject.toml"
    link.symlink_to(real)
    atomic.replace_text(link, "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"
    assert real.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml", "real.toml"]
