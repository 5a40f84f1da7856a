"""``python -m fuzz``: run the fuzz targets for a bounded time.

Each target runs in a process of its own (libFuzzer runs once per process)
for its share of ``--seconds``; the corpus grows in ``fuzz/corpus/<target>``
and every crashing or hanging input is written to ``fuzz/findings/``.
Exit status 0 means no finding.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_NAMES = ("envelope", "signature", "mail")


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=600,
                        help="total fuzzing time, shared by the targets (default 600)")
    parser.add_argument("--target", choices=(*TARGET_NAMES, "all"), default="all")
    parser.add_argument("--run-one", choices=TARGET_NAMES, help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args(argv)
    if args.seconds < 1:
        parser.error("--seconds must be at least 1")
    args.libfuzzer = rest
    return args


def _seed(target: str, corpus: Path) -> None:
    from .seeds import SEEDS

    corpus.mkdir(parents=True, exist_ok=True)
    for data in SEEDS[target]():
        (corpus / f"seed-{hashlib.sha1(data).hexdigest()}").write_bytes(data)


def _run_one(target: str, seconds: int, libfuzzer: list[str]) -> None:
    """Inside the child process: hand control to libFuzzer (never returns)."""
    import atheris

    from .targets import TARGETS

    findings = HERE / "findings"
    findings.mkdir(exist_ok=True)
    corpus = HERE / "corpus" / target
    _seed(target, corpus)
    dictionary = HERE / f"{target}.dict"
    if dictionary.exists():
        libfuzzer = [f"-dict={dictionary}", *libfuzzer]
    atheris.Setup(
        [sys.argv[0], f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2048",
         "-max_len=65536", f"-artifact_prefix={findings}/{target}-", "-print_final_stats=1",
         *libfuzzer, str(corpus)],
        TARGETS[target],
    )
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.run_one:
        _run_one(args.run_one, args.seconds, args.libfuzzer)
        return 0
    targets = TARGET_NAMES if args.target == "all" else (args.target,)
    share = max(1, args.seconds // len(targets))
    failed = []
    for target in targets:
        print(f"fuzz: {target} for {share} s", flush=True)
        result = subprocess.run(
            [sys.executable, "-m", "fuzz", "--run-one", target, "--seconds", str(share),
             *args.libfuzzer],
            cwd=HERE.parent, check=False,
        )
        if result.returncode != 0:
            failed.append(target)
    if failed:
        print(f"fuzz: findings for {', '.join(failed)} in {HERE / 'findings'}", file=sys.stderr)
        return 1
    print("fuzz: no findings", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
