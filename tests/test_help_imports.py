"""`provenance --help` stays fast: it imports none of the heavy parts of the pipeline."""
from __future__ import annotations

import subprocess
import sys

HEAVY = ("datasketch", "scipy", "networkx", "sqlite_utils", "pandas", "trafilatura", "numpy", "rich")


def test_help_imports_no_heavy_module():
    script = (
        "import sys\n"
        "from provenance.cli import main\n"
        "try:\n"
        "    main(['--help'], prog_name='provenance')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "Usage: provenance" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "[]"
