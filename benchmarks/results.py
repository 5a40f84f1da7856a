"""What a benchmark run measured, and the table it prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from .client import Throughput


@dataclass(frozen=True, slots=True)
class Timed:
    seconds: float
    floor_seconds: float | None = None
    count: int = 0
    peak_rss_mb: float | None = None
    server_cpu_seconds: float | None = None

    @property
    def ratio(self) -> float | None:
        return self.seconds / self.floor_seconds if self.floor_seconds else None


@dataclass(frozen=True, slots=True)
class Rate:
    ours: Throughput
    floor: Throughput | None


@dataclass(frozen=True, slots=True)
class Page:
    median_ms: float
    queries: int
    rows: int


@dataclass
class DatabaseResults:
    name: str
    alter: dict[tuple[int, str], Timed] = field(default_factory=dict)
    listing: Timed | None = None
    rates: dict[tuple[str, int], Rate] = field(default_factory=dict)
    pages: dict[str, Page | str] = field(default_factory=dict)


def _n(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _rate_order(item: tuple[tuple[str, int], Rate]) -> tuple[bool, str, int]:
    (operation, clients), _ = item
    return operation == "bare WSGI floor", operation, clients


def table(runs: list[DatabaseResults]) -> str:
    lines = ["### alter_contacts (one call; SOAP::Lite-shaped, signed, new connection)", "",
             "| records | kind | database | seconds | records/s | server CPU s | peak RSS MiB | floor s "
             "| ours/floor |",
             "|---:|---|---|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        for (records, kind), timed in run.alter.items():
            lines.append(
                f"| {records:,} | {kind} | {run.name} | {_n(timed.seconds)} | "
                f"{records / timed.seconds:,.0f} | {_n(timed.server_cpu_seconds, 2)} | "
                f"{_n(timed.peak_rss_mb, 0)} | "
                f"{_n(timed.floor_seconds)} | {_ratio(timed.ratio)} |"
            )
    lines += ["", "### list_contacts", "",
              "| ids | database | seconds | floor s (SELECT + join) | ours/floor |",
              "|---:|---|---:|---:|---:|"]
    for run in runs:
        if run.listing:
            timed = run.listing
            lines.append(f"| {timed.count:,} | {run.name} | {_n(timed.seconds)} | "
                         f"{_n(timed.floor_seconds)} | {_ratio(timed.ratio)} |")
    lines += ["", "### signed calls, new connection per call (floor: bare WSGI app, same server)", "",
              "| operation | clients | database | req/s | p50 ms | p99 ms | errors | floor req/s | "
              "floor p99 ms | ours/floor |",
              "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        for (operation, clients), rate in sorted(run.rates.items(), key=_rate_order):
            ours, floor = rate.ours, rate.floor
            share = ours.per_second / floor.per_second if floor and floor.per_second else None
            lines.append(
                f"| {operation} | {clients} | {run.name} | {ours.per_second:,.0f} | "
                f"{ours.p50_ms:.1f} | {ours.p99_ms:.1f} | {ours.errors} | "
                f"{f'{floor.per_second:,.0f}' if floor else '-'} | "
                f"{_n(floor.p99_ms if floor else None, 1)} | {_ratio(share)} |"
            )
    if any(run.pages for run in runs):
        lines += ["", "### helpdesk pages (through the real views, logged in)", "",
                  "| page | database | tickets | median ms | queries per page |",
                  "|---|---|---:|---:|---:|"]
        for run in runs:
            for page, measured in run.pages.items():
                if isinstance(measured, Page):
                    lines.append(f"| {page} | {run.name} | {measured.rows:,} | "
                                 f"{measured.median_ms:.1f} | {measured.queries} |")
                else:
                    lines.append(f"| {page} | {run.name} | - | {measured} | - |")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Target:
    what: str
    measured: str
    met: bool | None


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "not measured"}[met]


def targets(runs: list[DatabaseResults]) -> str:
    by_name = {run.name: run for run in runs}
    sqlite = by_name.get("SQLite")
    postgres = by_name.get("PostgreSQL")
    found: list[Target] = []
    if sqlite:
        new = sqlite.alter.get((10_000, "insert"))
        if new:
            found.append(Target("alter_contacts 10,000 new < 0.4 s", f"{new.seconds:.3f} s",
                                new.seconds < 0.4))
            if new.ratio:
                found.append(Target("... within 2.5x of the floor", f"{new.ratio:.2f}x", new.ratio <= 2.5))
        same = sqlite.alter.get((10_000, "unchanged"))
        if same:
            found.append(Target("alter_contacts 10,000 unchanged < 0.25 s", f"{same.seconds:.3f} s",
                                same.seconds < 0.25))
        if sqlite.listing:
            found.append(Target(f"list_contacts {sqlite.listing.count:,} ids < 0.3 s",
                                f"{sqlite.listing.seconds:.3f} s", sqlite.listing.seconds < 0.3))
        greet = sqlite.rates.get(("greet", 8))
        if greet:
            ours = greet.ours
            found.append(Target("greet, 8 clients >= 1,200 req/s", f"{ours.per_second:,.0f} req/s",
                                ours.per_second >= 1200 and ours.errors == 0))
            if greet.floor:
                share = ours.per_second / greet.floor.per_second
                found.append(Target("... >= half the bare-WSGI floor", f"{share:.2f}", share >= 0.5))
            found.append(Target("... p99 < 20 ms", f"{ours.p99_ms:.1f} ms", ours.p99_ms < 20))
        big = [timed for (records, _), timed in sqlite.alter.items() if records >= 100_000]
        if big:
            peak = max(timed.peak_rss_mb or 0 for timed in big)
            found.append(Target("100,000-record call: peak RSS < 400 MB", f"{peak:.0f} MiB",
                                peak < 400 / 1.048576))
        listing = sqlite.pages.get("customer ticket list")
        found.append(Target("customer ticket list median < 30 ms",
                            f"{listing.median_ms:.1f} ms, {listing.queries} queries"
                            if isinstance(listing, Page) else "-",
                            listing.median_ms < 30 if isinstance(listing, Page) else None))
    if postgres:
        queue = postgres.pages.get("staff queue")
        found.append(Target("staff queue median < 80 ms (PostgreSQL)",
                            f"{queue.median_ms:.1f} ms, {queue.queries} queries"
                            if isinstance(queue, Page) else "-",
                            queue.median_ms < 80 if isinstance(queue, Page) else None))
    lines = ["### targets (issue 5)", "", "| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {t.what} | {t.measured} | {_verdict(t.met)} |" for t in found]
    return "\n".join(lines)
