"""`python -m bookbuild.bench`: how fast the build is for the edits authors make.

Runs `bookbuild build` in a subprocess on a scratch copy of the project, each scenario several
times, and prints the median wall time and the peak memory of the build's process tree:

- clean: no `_build/`, no output folder (HTML + PDF);
- no-op: nothing changed since the last build;
- data edit / prose edit: one find-and-replace in one file, as configured by the project in
  `pyproject.toml` under `[tool.bookbuild.bench]` (the engine knows nothing about the book),
  first with no servers kept between builds (as on CI), then ", kept": with the fork server
  and typst kept from the build before, as an author's `make` has them (bookbuild.servers):

      [tool.bookbuild.bench]
      data-edit  = { file = "data/x.yaml", find = "n: 3", replace = ["n: 4", "n: 5"] }
      prose-edit = { file = "chapters/a.ipynb", find = "old words", replace = "new words" }

  Each run moves the text to its next state (`find`, each `replace`, `find` again), so every
  run sees a real change. With a list longer than the runs, every data edit gives values no
  build has seen: no memo (e.g. of a chart) holds their result, as for an author's new number.
- the same two edits under `bookbuild preview`: from saving the file to the rebuild's
  "Ferdig" (the preview keeps the kernels' fork server, so a rebuild skips its imports).

Peak memory is the largest sum of PSS (proportional set size: a page shared by n processes
counts 1/n in each; RSS where the system has no PSS) over the build process and all its
descendants (fork server, kernels, pandoc, pagefind) and the kept servers with their kernels,
sampled every 250 ms (reading PSS is not free): short-lived peaks between two samples are
missed.

The CPU column (user + system time of the build and all processes it started, from
getrusage, plus what the kept servers and their kernels used meanwhile) is the number to
trust on a busy machine, where wall time mostly measures waiting.

Targets, when the project sets them under `[tool.bookbuild.bench.targets]`, get a column of
their own: the most a scenario's median may take, in seconds, and the most any run's peak
memory may be, in MB (`peak-mb`):

      [tool.bookbuild.bench.targets]
      "clean build" = 12
      "one data edit, kept" = 3
      peak-mb = 1024

Finally the output folders of two clean builds are compared byte for byte.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

EDITS = (("data-edit", "one data edit"), ("prose-edit", "one prose edit"))
SCENARIOS = ("clean build", "no-op rebuild",
             *(label + kept for kept in ("", ", kept") for _, label in EDITS))
PEAK_TARGET = "peak-mb"
KEEP_SECONDS = 120  # how long the servers of the "kept" rows stay (bookbuild.servers)
SKIP = {".git", ".venv", "venv", "_build", "_book", "__pycache__", ".ipynb_checkpoints",
        ".pytest_cache", ".ruff_cache"}


@dataclass
class Run:
    seconds: float
    peak_mb: float
    cpu: float = 0.0  # user + system seconds of the build and every process it started
    executed: list[str] = field(default_factory=list)


@dataclass
class Edit:
    file: str
    find: str
    replace: str | list[str]

    def toggle(self, root: Path) -> None:
        """Move the text to its next state: `find`, then each `replace` in turn, then `find`
        again (one `replace`: apply the edit, or undo it when it is in place)."""
        states = [self.find, *([self.replace] if isinstance(self.replace, str) else self.replace)]
        path = root / self.file
        text = path.read_text(encoding="utf-8")
        for i, state in enumerate(states):
            if state in text:
                following = states[(i + 1) % len(states)]
                path.write_text(text.replace(state, following, 1), encoding="utf-8")
                return
        raise SystemExit(f"bench: {self.file}: none of {states!r}")


def copy_project(source: Path, dest: Path) -> Path:
    """The project's sources without work folders and generated outputs."""
    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in SKIP or n.startswith(("_book.", ".tmp"))}

    shutil.copytree(source, dest, ignore=ignore, symlinks=True)
    return dest


def clean(root: Path) -> None:
    """What `make clean` removes: work folder, output folder, published figures."""
    for name in ("_build", "_book"):
        shutil.rmtree(root / name, ignore_errors=True)
    for figure in (root / "figures").glob("*.*"):
        if figure.suffix in (".svg", ".png"):
            figure.unlink()


def build_once(root: Path, args: list[str], keep: bool = False) -> Run:
    """One `bookbuild build` in a subprocess; wall time and sampled peak memory of its tree
    (and of the servers kept for it). With `keep`, it uses and keeps servers as an author's
    build does (bookbuild.servers); else it keeps none, as on CI."""
    env = {**_env(root), "BOOKBUILD_KEEP_SERVERS": str(KEEP_SECONDS if keep else 0)}
    started = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    servers_cpu = _servers_cpu(root)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bookbuild", "build", "--root", str(root), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )
    peak = [0]
    done = threading.Event()
    sampler = threading.Thread(target=_sample, args=(proc.pid, peak, done, root), daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
    cpu += _servers_cpu(root) - servers_cpu  # kept servers are not the build's children
    done.set()
    sampler.join()
    text = output.decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"bench: build failed in {root}:\n{text}")
    executed = [line.split("] ", 1)[1].rsplit(": ", 1)[0]
                for line in text.splitlines()
                if line.startswith("[") and line.endswith(": executing")]
    return Run(seconds, peak[0] / 2**20, cpu, executed)


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(root / "src"), os.environ.get("PYTHONPATH")]))}


def _sample(pid: int, peak: list[int], done: threading.Event, root: Path) -> None:
    import psutil

    try:
        parent = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not done.is_set():
        total = 0
        try:
            procs = {parent, *parent.children(recursive=True), *_kept_servers(root)}
        except psutil.NoSuchProcess:
            return
        for proc in procs:
            with contextlib.suppress(psutil.Error, OSError):
                total += _proportional_size(proc.pid) or proc.memory_info().rss
        peak[0] = max(peak[0], total)
        time.sleep(SAMPLE_EVERY)


def _kept_servers(root: Path) -> list:
    """The servers kept for builds of `root` and their kernels: started by an earlier build,
    they are no longer the build's descendants, but their memory is the build's all the same."""
    import psutil

    from bookbuild import servers

    found = []
    for entry in servers.registered(root / "_build").values():
        with contextlib.suppress(psutil.Error, TypeError, ValueError):
            server = psutil.Process(int(entry["pid"]))
            found += [server, *server.children(recursive=True)]
    return found


def _servers_cpu(root: Path) -> float:
    """CPU seconds used so far by the kept servers and the kernels they have reaped."""
    import psutil

    total = 0.0
    for server in _kept_servers(root):
        with contextlib.suppress(psutil.Error):
            times = server.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


# Reading a process's PSS costs the kernel a walk of its pages (~4 ms for a kernel): sampled
# every 20 ms, the sampler alone would take a core from the build it measures.
SAMPLE_EVERY = 0.25


def _proportional_size(pid: int) -> int | None:
    """Linux's PSS: each shared page counted once over the processes sharing it (forked
    kernels share most of their memory with the fork server, RSS would count it each time)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return None


def tree_digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _bench_config(root: Path) -> dict:
    pyproject = root / "pyproject.toml"
    config = {}
    if pyproject.is_file():
        config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return config.get("tool", {}).get("bookbuild", {}).get("bench", {})


def load_edits(root: Path) -> dict[str, Edit]:
    bench = _bench_config(root)
    return {name: Edit(**bench[name]) for name in ("data-edit", "prose-edit") if name in bench}


def load_targets(root: Path) -> dict[str, float]:
    """Scenario -> the most its median may take (s); PEAK_TARGET -> the most memory (MB)."""
    targets = _bench_config(root).get("targets", {})
    unknown = sorted(set(targets) - {*SCENARIOS, PEAK_TARGET})
    if unknown:
        raise SystemExit(f"bench: [tool.bookbuild.bench.targets]: unknown {unknown!r} "
                         f"(known: {', '.join(repr(s) for s in (*SCENARIOS, PEAK_TARGET))})")
    wrong = sorted(k for k, v in targets.items()
                   if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0)
    if wrong:
        raise SystemExit(f"bench: [tool.bookbuild.bench.targets]: {wrong!r} must be positive "
                         "numbers")
    return {k: float(v) for k, v in targets.items()}


def run_bench(source: Path, repeat: int, build_args: list[str]) -> int:
    edits = load_edits(source)
    targets = load_targets(source)
    results: dict[str, list[Run]] = {}
    with tempfile.TemporaryDirectory(prefix="bookbuild-bench-") as tmp:
        root = copy_project(source, Path(tmp) / "project")
        # As `make` does before a build: where the environment stops Python from writing
        # bytecode on import, every process would compile the project's code again.
        if (root / "src").is_dir():
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "src")],
                           check=False, capture_output=True)
        say = _say
        books: list[dict[str, str]] = []
        for i in range(repeat):
            clean(root)
            results.setdefault("clean build", []).append(build_once(root, build_args))
            say("clean build", i, results)
            if i < 2:
                books.append(tree_digests(root / "_book"))
        for i in range(repeat):
            results.setdefault("no-op rebuild", []).append(build_once(root, build_args))
            say("no-op rebuild", i, results)
        for keep in (False, True):
            if keep and "data-edit" in edits:  # not timed: this build starts the servers
                edits["data-edit"].toggle(root)
                build_once(root, build_args, keep=True)
            for name, label in EDITS:
                if name not in edits:
                    continue
                label += ", kept" if keep else ""
                for i in range(repeat):
                    edits[name].toggle(root)
                    results.setdefault(label, []).append(build_once(root, build_args, keep))
                    say(label, i, results)
        subprocess.run([sys.executable, "-m", "bookbuild", "stop", "--root", str(root)],
                       env=_env(root), capture_output=True, check=False)
        warm = preview_runs(root, edits, repeat, build_args) if edits else {}
    _table(results, targets)
    _preview_table(warm)
    return _compare(books)


def preview_runs(root: Path, edits: dict[str, Edit], repeat: int,
                 build_args: list[str]) -> dict[str, list[float]]:
    """Seconds from saving an edit to `bookbuild preview` printing "Ferdig" (its rebuild,
    with the fork server and its imports kept from the build before). One data edit first,
    untimed: the first kernel of a preview session starts the server."""
    import queue
    import signal
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bookbuild", "preview", "--root", str(root), "--port", str(port),
         *(["--html-only"] if "--html-only" in build_args else [])],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(root),
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or []],
                     daemon=True).start()

    def until_built() -> None:
        while True:
            line = lines.get(timeout=300)
            if line.startswith("Feil:"):
                raise SystemExit(f"bench: preview build failed: {line}")
            if line.startswith("Ferdig:"):
                return

    def edit_and_wait(edit: Edit) -> float:
        time.sleep(1.0)  # the watcher sees separate edits; a stray rebuild would show up here
        while not lines.empty():
            lines.get_nowait()
        started = time.perf_counter()
        edit.toggle(root)
        until_built()
        return time.perf_counter() - started

    results: dict[str, list[float]] = {}
    try:
        until_built()
        if "data-edit" in edits:  # not timed: the first kernel starts the fork server
            edit_and_wait(edits["data-edit"])
        for name, label in (("data-edit", "one data edit"), ("prose-edit", "one prose edit")):
            for _ in range(repeat if name in edits else 0):
                seconds = edit_and_wait(edits[name])
                results.setdefault(label, []).append(seconds)
                print(f"  preview, {label}: {results[label][-1]:.2f} s", file=sys.stderr,
                      flush=True)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return results


def _preview_table(results: dict[str, list[float]]) -> None:
    for label, times in results.items():
        print(f"preview: {label:<13} {statistics.median(times):>9.2f} {min(times):>7.2f} "
              f"{max(times):>7.2f}   (edit saved -> rebuilt, server kept)")


def _say(label: str, i: int, results: dict[str, list[Run]]) -> None:
    run = results[label][i]
    executed = ", ".join(Path(p).stem for p in run.executed) or "-"
    print(f"  {label} #{i + 1}: {run.seconds:.2f} s, cpu {run.cpu:.1f} s, {run.peak_mb:.0f} MB, "
          f"executed: {executed}", file=sys.stderr, flush=True)


def _table(results: dict[str, list[Run]], targets: dict[str, float] | None = None) -> None:
    targets = targets or {}
    print(f"{'scenario':<22} {'median s':>9} {'min s':>7} {'max s':>7} {'cpu s':>6} "
          f"{'peak MB':>8}  {'executed':<12}  {'target' if targets else ''}".rstrip())
    missed = []
    for label, runs in results.items():
        times = [r.seconds for r in runs]
        median = statistics.median(times)
        verdict = ""
        if label in targets:
            verdict = _verdict(median, targets[label], "s")
            if median > targets[label]:
                missed.append(f"{label} ({median:.2f} s)")
        executed = f"{statistics.median(len(r.executed) for r in runs):.0f} chapter(s)"
        print(f"{label:<22} {median:>9.2f} {min(times):>7.2f} "
              f"{max(times):>7.2f} {statistics.median(r.cpu for r in runs):>6.1f} "
              f"{max(r.peak_mb for r in runs):>8.0f}  {executed:<12}  {verdict}".rstrip())
    if PEAK_TARGET in targets and results:
        peak = max(r.peak_mb for runs in results.values() for r in runs)
        print(f"peak memory of all runs: {peak:.0f} MB, "
              f"{_verdict(peak, targets[PEAK_TARGET], 'MB')}")
        if peak > targets[PEAK_TARGET]:
            missed.append(f"peak memory ({peak:.0f} MB)")
    checked = [k for k in targets if k in results or (k == PEAK_TARGET and results)]
    if checked:
        print(f"targets: {len(checked) - len(missed)} of {len(checked)} met"
              + (f"; missed: {', '.join(missed)}" if missed else ""))


def _verdict(value: float, target: float, unit: str) -> str:
    return f"<= {target:g} {unit} " + ("met" if value <= target else "MISSED")


def _compare(books: list[dict[str, str]]) -> int:
    if len(books) < 2:
        return 0
    first, second = books
    differ = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
    if not differ:
        print(f"deterministic: two clean builds byte-identical ({len(first)} files)")
        return 0
    print(f"NOT deterministic: {len(differ)} file(s) differ: {', '.join(differ[:10])}")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bookbuild.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path("."), help="project folder")
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario (median)")
    parser.add_argument("--html-only", action="store_true", help="skip the PDF")
    args = parser.parse_args(argv)
    extra = ["--html-only"] if args.html_only else []
    return run_bench(args.root.resolve(), max(1, args.repeat), extra)


if __name__ == "__main__":
    sys.exit(main())
