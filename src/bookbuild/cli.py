"""The `bookbuild` command: build, check, preview, clean, stop."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import traceback
from pathlib import Path

from bookbuild.errors import BuildError

EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--root", type=Path, default=Path("."), help="project folder (default: current folder)"
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    parser = argparse.ArgumentParser(
        prog="bookbuild", description="Build a Quarto-compatible book into an HTML site and a PDF."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", parents=[common], help="build the site and the PDF")
    build.add_argument("--html-only", action="store_true", help="skip the PDF")
    build.add_argument("--in-process", action="store_true",
                       help="build in this process, not in a fork of the kernel server kept "
                            "from the last build")
    commands.add_parser("check", parents=[common], help="run the project's check hook")
    preview = commands.add_parser(
        "preview", parents=[common], help="serve the site locally, rebuild on change"
    )
    preview.add_argument("--port", type=int, default=4321)
    preview.add_argument("--html-only", action="store_true", help="skip the PDF while previewing")
    commands.add_parser("clean", parents=[common], help="remove the output and work folders")
    commands.add_parser("stop", parents=[common],
                        help="end the fork server and typst kept for the next build")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    # SIGTERM unwinds like Ctrl-C so kernels and temporary folders are cleaned up.
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _COMMANDS[args.command](args)
    except BuildError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"Feil: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if args.debug:
            traceback.print_exc()
        print("Avbrutt.", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _build(args: argparse.Namespace) -> int:
    if not args.in_process:
        from bookbuild.handoff import build_in_kept_server

        code = build_in_kept_server(args.root, args.argv, debug=args.debug)
        if code is not None:
            return code
    from bookbuild.build import build

    build(args.root, only_html=args.html_only, debug=args.debug, keep_servers=True)
    return 0


def _check(args: argparse.Namespace) -> int:
    from bookbuild.build import run_check
    from bookbuild.project import load_project

    problems = run_check(load_project(args.root))
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print("OK")
    return 0


def _preview(args: argparse.Namespace) -> int:
    from bookbuild.build import BuildResult, build
    from bookbuild.kernels import keep_servers
    from bookbuild.preview import preview

    def build_once() -> BuildResult:
        return build(args.root, only_html=args.html_only, debug=args.debug)

    with keep_servers():  # a rebuild reuses the kernels' fork server and its imports
        preview(args.root, port=args.port, build_once=build_once)
    return 0


def _clean(args: argparse.Namespace) -> int:
    from bookbuild.project import load_project
    from bookbuild.publish import remove_leftovers

    project = load_project(args.root)
    _stop_servers(project.build_dir)
    remove_leftovers(project.output_dir)
    for folder in (project.output_dir, project.build_dir):
        if folder.exists():
            shutil.rmtree(folder)
            print(f"Slettet {folder.relative_to(project.root).as_posix()}/")
    return 0


def _stop(args: argparse.Namespace) -> int:
    from bookbuild.project import load_project

    stopped = _stop_servers(load_project(args.root).build_dir)
    print(f"Stoppet: {', '.join(stopped)}" if stopped else "Ingen tjenere kjører")
    return 0


def _stop_servers(build_dir: Path) -> list[str]:
    """End the servers builds kept for the next build (bookbuild.servers)."""
    from bookbuild import servers

    return [name for name in servers.registered(build_dir) if servers.stop(build_dir, name)]


_COMMANDS = {"build": _build, "check": _check, "preview": _preview, "clean": _clean,
             "stop": _stop}


if __name__ == "__main__":
    sys.exit(main())
