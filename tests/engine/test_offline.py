"""The build needs no network: the minibook builds (kernels, PDF, site, search) in a network
namespace that has only the loopback interface (Jupyter talks to its kernels over it)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

from buildcheck import bookbuild_cmd, cli_env, leftovers, skip_unless_ci

FIXTURE = Path(__file__).parent / "fixtures" / "minibook"


def offline(command: list[str]) -> list[str]:
    """`command` in a new network namespace with only `lo` up."""
    inner = f"ip link set lo up && exec {shlex.join(command)}"
    return ["unshare", "--net", "sh", "-c", inner]


def namespaces_work() -> str | None:
    """None when an offline namespace can be made, else why not."""
    if not (shutil.which("unshare") and shutil.which("ip")):
        return "needs `unshare` (util-linux) and `ip` (iproute2)"
    probe = subprocess.run(offline(["ip", "-o", "route"]), capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot create a network namespace (root needed): {probe.stderr.strip()}"
    if probe.stdout.strip():
        return f"the namespace has routes: {probe.stdout.strip()}"
    return None


def test_build_succeeds_without_network(tmp_path: Path):
    reason = namespaces_work()
    if reason:
        skip_unless_ci(f"no-network build not tested: {reason}")
    root = tmp_path / "minibook"
    shutil.copytree(FIXTURE, root)
    done = subprocess.run(offline(bookbuild_cmd(root, "build")), cwd=root, env=cli_env(root),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "executing" in done.stdout  # the kernels really ran, offline
    assert (root / "_book/index.html").is_file()
    assert list((root / "_book").glob("*.pdf"))
    assert (root / "_book/pagefind/pagefind-ui.js").is_file()
    assert leftovers(root) == []
