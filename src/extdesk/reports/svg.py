"""Bar and line charts drawn as SVG from numbers on the server: no script, no style sheet needed.

Every chart is an ``<svg role="img">`` named by its ``<title>``, described by its ``<desc>``
(what a screen reader announces), each bar or point carries a ``<title>`` of
its own (the browser shows it on hover), and every text that goes in, labels
and series names from the database among them, is escaped and stripped of
characters XML cannot hold. Colours are presentation attributes rather than
``style`` attributes, which the site's Content-Security-Policy would refuse.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# Told apart by people with the common colour-vision deficiencies, and dark enough on white.
PALETTE = ("#2452c7", "#c2410c", "#146c43", "#7c3aed")
_AXIS = "#55607a"
_GRID = "#dfe4ee"

# The drawing's own size; the page scales it to its box.
WIDTH = 720
HEIGHT = 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 16, 36, 44
# An average character of the 12 px labels, to fit and thin them out.
_CHAR_WIDTH = 6.8
# The most of a label shown under its bar before it is cut (the whole of it is in the bar's title).
_LABEL_CHARACTERS = 14

# XML 1.0 has no place for these, even escaped: a category named with one would break the page.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CHART_ID = re.compile(r"[a-z][a-z0-9-]{0,40}")

ValueFormat = Callable[[float], str]


def whole_number(value: float) -> str:
    return f"{value:,.0f}"


@dataclass(frozen=True)
class Series:
    """One named row of values, one value per label of the chart; None: no value (bar charts only)."""

    name: str
    values: Sequence[float | None]


def escape(value: str) -> str:
    """``value`` as XML character data or attribute value."""
    return html.escape(_NOT_XML.sub("", value), quote=True)


def shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: max(limit - 1, 1)] + "…"


def nice_ticks(maximum: float, *, whole: bool, count: int = 5) -> list[float]:
    """Axis marks from 0 past ``maximum``, in steps of 1, 2 or 5 times a power of ten (whole ones for
    counts)."""
    if maximum <= 0:
        return [0.0, 1.0]
    rough = maximum / count
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= rough)
    if whole:
        step = max(step, 1)
    steps = math.ceil(maximum / step - 1e-9)
    return [round(i * step, 10) for i in range(steps + 1)]


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


class _Canvas:
    """The parts every chart shares: frame, legend, value axis and the labels under the plot."""

    def __init__(self, chart_id: str, title: str, description: str, series: Sequence[Series],
                 labels: Sequence[str], *, value_format: ValueFormat, whole: bool, unit: str,
                 at_least: float, width: int) -> None:
        if not _CHART_ID.fullmatch(chart_id):
            raise ValueError(f"a chart id is lower-case letters, digits and hyphens, not {chart_id!r}")
        for one in series:
            if len(one.values) != len(labels):
                raise ValueError(f"series {one.name!r} has {len(one.values)} values for {len(labels)} labels")
        self.labels = labels
        self.series = series
        self.value_format = value_format
        top_value = max((v for one in series for v in one.values if v is not None), default=0.0)
        self.ticks = nice_ticks(max(top_value, at_least), whole=whole)
        self.top = self.ticks[-1]
        self.plot_left, self.plot_right = _LEFT, width - _RIGHT
        self.plot_top, self.plot_bottom = _TOP, HEIGHT - _BOTTOM
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {HEIGHT}" '
            f'width="{width}" height="{HEIGHT}" role="img" '
            f'aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc" '
            'font-family="system-ui, sans-serif" '
            f'font-size="12" fill="#1c2434">',
            f'<title id="{chart_id}-title">{escape(title)}</title>',
            f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        ]
        self._value_axis(unit)
        self._legend()

    def y(self, value: float) -> float:
        span = self.plot_bottom - self.plot_top
        return self.plot_bottom - (value / self.top) * span

    def _value_axis(self, unit: str) -> None:
        self.parts.append('<g class="axis value-axis" aria-hidden="true">')
        for tick in self.ticks:
            y = _number(self.y(tick))
            self.parts.append(f'<line x1="{self.plot_left}" x2="{self.plot_right}" y1="{y}" y2="{y}" '
                              f'stroke="{_GRID if tick else _AXIS}"/>')
            self.parts.append(f'<text x="{self.plot_left - 6}" y="{y}" dy="0.32em" text-anchor="end" '
                              f'fill="{_AXIS}">{escape(self.value_format(tick))}</text>')
        if unit:
            self.parts.append(f'<text x="{self.plot_left - 6}" y="{self.plot_top - 14}" text-anchor="end" '
                              f'fill="{_AXIS}">{escape(unit)}</text>')
        self.parts.append("</g>")

    def _legend(self) -> None:
        if len(self.series) < 2:
            return
        self.parts.append('<g class="legend" aria-hidden="true">')
        x = float(self.plot_left)
        for index, one in enumerate(self.series):
            name = shorten(one.name, 30)
            self.parts.append(f'<rect x="{_number(x)}" y="6" width="12" height="12" rx="2" '
                              f'fill="{PALETTE[index % len(PALETTE)]}"/>')
            self.parts.append(f'<text x="{_number(x + 17)}" y="12" dy="0.32em">{escape(name)}</text>')
            x += 17 + len(name) * _CHAR_WIDTH + 18
        self.parts.append("</g>")

    def category_labels(self, centres: Sequence[float], slot: float, *, thin: bool) -> None:
        """The labels under the plot: cut to their slot, or with ``thin`` (a sequence such as days, where
        the neighbours tell) every k-th one when they would not fit side by side."""
        wanted = min(max((len(label) for label in self.labels), default=1), _LABEL_CHARACTERS)
        every = max(math.ceil((wanted * _CHAR_WIDTH + 8) / slot), 1) if thin else 1
        limit = max(int((slot * every - 8) / _CHAR_WIDTH), 3)
        self.parts.append('<g class="axis label-axis" aria-hidden="true">')
        for index, (label, x) in enumerate(zip(self.labels, centres, strict=True)):
            if index % every:
                continue
            text = shorten(label, limit)
            self.parts.append(f'<text x="{_number(x)}" y="{self.plot_bottom + 18}" '
                              f'text-anchor="middle">{escape(text)}</text>')
        self.parts.append("</g>")

    def point_title(self, label: str, one: Series, value: float) -> str:
        name = f"{one.name}: " if len(self.series) > 1 else ""
        return f"<title>{escape(f'{label}: {name}{self.value_format(value)}')}</title>"

    def finish(self) -> str:
        self.parts.append("</svg>")
        return "".join(self.parts)


def bar_chart(*, chart_id: str, title: str, description: str, labels: Sequence[str],
              series: Sequence[Series], value_format: ValueFormat = whole_number, whole: bool = True,
              unit: str = "", at_least: float = 0, width: int = WIDTH, missing: str = "no value") -> str:
    """Bars for each label, side by side when there are several series; the SVG as a string.

    A value of None draws a dash on the axis instead of a bar, titled ``missing``: "no value" is not 0.
    """
    canvas = _Canvas(chart_id, title, description, series, labels, value_format=value_format,
                     whole=whole, unit=unit, at_least=at_least, width=width)
    slot = (canvas.plot_right - canvas.plot_left) / max(len(labels), 1)
    bar = slot * 0.76 / max(len(series), 1)
    centres = [canvas.plot_left + slot * (index + 0.5) for index in range(len(labels))]
    canvas.parts.append('<g class="bars">')
    for index, one in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        for position, (label, value) in enumerate(zip(labels, one.values, strict=True)):
            x = centres[position] - slot * 0.38 + index * bar
            if value is None:
                name = f"{one.name}: " if len(series) > 1 else ""
                canvas.parts.append(
                    f'<text x="{_number(x + bar / 2)}" y="{_number(canvas.plot_bottom - 4)}" '
                    f'text-anchor="middle" fill="{_AXIS}">\u2013<title>{escape(f"{label}: {name}{missing}")}'
                    "</title></text>")
                continue
            y = canvas.y(value)
            canvas.parts.append(
                f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(max(bar - 1, 1))}" '
                f'height="{_number(canvas.plot_bottom - y)}" fill="{colour}">'
                f"{canvas.point_title(label, one, value)}</rect>")
    canvas.parts.append("</g>")
    canvas.category_labels(centres, slot, thin=False)
    return canvas.finish()


def line_chart(*, chart_id: str, title: str, description: str, labels: Sequence[str],
               series: Sequence[Series], value_format: ValueFormat = whole_number, whole: bool = True,
               unit: str = "", at_least: float = 0, width: int = WIDTH) -> str:
    """A line per series through one point per label (days, in order); the SVG as a string."""
    canvas = _Canvas(chart_id, title, description, series, labels, value_format=value_format,
                     whole=whole, unit=unit, at_least=at_least, width=width)
    lines = [[value for value in one.values if value is not None] for one in series]
    if any(len(line) != len(labels) for line in lines):
        raise ValueError("a line chart needs a value for every label")
    width = canvas.plot_right - canvas.plot_left
    if len(labels) > 1:
        slot = width / (len(labels) - 1)
        centres = [canvas.plot_left + slot * index for index in range(len(labels))]
    else:
        slot = float(width)
        centres = [canvas.plot_left + width / 2]
    # Points only where there are few enough to hover one by one.
    radius = 3 if len(labels) <= 120 else 0
    canvas.parts.append('<g class="lines">')
    for index, (one, values) in enumerate(zip(series, lines, strict=True)):
        colour = PALETTE[index % len(PALETTE)]
        points = " ".join(f"{_number(x)},{_number(canvas.y(value))}"
                          for x, value in zip(centres, values, strict=True))
        canvas.parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2" '
                            'stroke-linejoin="round"/>')
        if radius:
            for x, label, value in zip(centres, labels, values, strict=True):
                canvas.parts.append(
                    f'<circle cx="{_number(x)}" cy="{_number(canvas.y(value))}" r="{radius}" fill="{colour}">'
                    f"{canvas.point_title(label, one, value)}</circle>")
    canvas.parts.append("</g>")
    canvas.category_labels(centres, slot, thin=True)
    return canvas.finish()
