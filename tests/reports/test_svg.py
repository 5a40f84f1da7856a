"""The SVG charts: well-formed, named for screen readers, every text escaped, drawn to scale."""

from __future__ import annotations

import pytest
from lxml import etree

from extdesk.reports import svg

pytestmark = pytest.mark.database_independent

NS = {"svg": "http://www.w3.org/2000/svg"}
HOSTILE = '</text></svg><script>alert("x")</script> & \'quotes\' \x01\x0b]]>'
HOSTILE_SHOWN = '</text></svg><script>alert("x")</script> & \'quotes\' ]]>'


def parse(drawing: str):
    # As the project reads untrusted XML: no entities expanded, no DTD, no network.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(drawing.encode(), parser)


def texts(tree, path: str) -> list[str]:
    return [node.text or "" for node in tree.xpath(path, namespaces=NS)]


@pytest.mark.parametrize("draw", [svg.bar_chart, svg.line_chart])
def test_hostile_text_is_escaped_everywhere(draw):
    drawing = draw(chart_id="chart-x", title=HOSTILE, description=HOSTILE, labels=[HOSTILE, "b"],
                   series=[svg.Series(HOSTILE, [1, 2]), svg.Series("other", [3, 4])], unit=HOSTILE)
    tree = parse(drawing)
    assert tree.tag == "{http://www.w3.org/2000/svg}svg"
    assert not tree.xpath("//svg:script", namespaces=NS) and "<script" not in drawing
    assert texts(tree, "/svg:svg/svg:title") == [HOSTILE_SHOWN]
    assert texts(tree, "/svg:svg/svg:desc") == [HOSTILE_SHOWN]
    point_titles = texts(tree, "//svg:g[@class='bars' or @class='lines']/*/svg:title")
    assert f"{HOSTILE_SHOWN}: {HOSTILE_SHOWN}: 1" in point_titles
    assert "b: other: 4" in point_titles


def test_named_for_screen_readers_and_no_styles():
    tree = parse(svg.bar_chart(chart_id="chart-sla", title="SLA", description="Half met.", labels=["a"],
                               series=[svg.Series("met", [50])]))
    assert tree.get("role") == "img"
    assert tree.get("aria-labelledby") == "chart-sla-title"
    assert tree.get("aria-describedby") == "chart-sla-desc"
    assert tree.xpath("/svg:svg/svg:title/@id", namespaces=NS) == ["chart-sla-title"]
    assert tree.xpath("/svg:svg/svg:desc/@id", namespaces=NS) == ["chart-sla-desc"]
    # The site's Content-Security-Policy refuses style attributes: colours are presentation attributes.
    assert not tree.xpath("//*[@style]") and not tree.xpath("//svg:style", namespaces=NS)


def test_bars_are_drawn_to_scale_from_zero():
    tree = parse(svg.bar_chart(chart_id="c", title="t", description="d", labels=["a", "b", "c"],
                               series=[svg.Series("n", [0, 5, 10])]))
    heights = [float(h) for h in tree.xpath("//svg:rect[svg:title]/@height", namespaces=NS)]
    assert heights[0] == 0 and heights[2] == pytest.approx(2 * heights[1]) and heights[2] > 100
    assert texts(tree, "//svg:g[contains(@class, 'value-axis')]/svg:text") == ["0", "2", "4", "6", "8", "10"]
    assert texts(tree, "//svg:g[contains(@class, 'label-axis')]/svg:text") == ["a", "b", "c"]


def test_a_percentage_axis_reaches_100_whatever_the_values():
    tree = parse(svg.bar_chart(chart_id="c", title="t", description="d", labels=["a"],
                               series=[svg.Series("n", [30])], value_format=lambda v: f"{v:g} %",
                               whole=False, at_least=100))
    assert texts(tree, "//svg:g[contains(@class, 'value-axis')]/svg:text")[-1] == "100 %"


def test_ninety_days_are_labelled_every_few_days_and_long_labels_cut():
    labels = [f"{n} Oct" for n in range(90)]
    tree = parse(svg.line_chart(chart_id="c", title="t", description="d", labels=labels,
                                series=[svg.Series("opened", [1] * 90)]))
    shown = texts(tree, "//svg:g[contains(@class, 'label-axis')]/svg:text")
    assert 6 <= len(shown) <= 15 and shown[0] == "0 Oct"
    assert len(tree.xpath("//svg:circle", namespaces=NS)) == 90
    long = parse(svg.bar_chart(chart_id="c", title="t", description="d", labels=["x" * 200] * 8,
                               series=[svg.Series("n", [1] * 8)]))
    cut = texts(long, "//svg:g[contains(@class, 'label-axis')]/svg:text")
    assert len(cut) == 8 and all(label.endswith("…") and len(label) == 10 for label in cut)
    # The whole label stays in the bar's title.
    assert texts(long, "//svg:rect/svg:title")[0] == "x" * 200 + ": 1"


def test_no_value_is_a_titled_dash_not_a_zero_bar():
    tree = parse(svg.bar_chart(chart_id="c", title="t", description="d", labels=["Urgent", "Low"],
                               series=[svg.Series("First response", [None, 50]),
                                       svg.Series("Resolution", [0, 100])],
                               missing="no outcome known yet"))
    assert len(tree.xpath("//svg:rect[svg:title]", namespaces=NS)) == 3
    assert texts(tree, "//svg:g[@class='bars']/svg:text") == ["\u2013"]
    assert texts(tree, "//svg:g[@class='bars']/svg:text/svg:title") == [
        "Urgent: First response: no outcome known yet"]
    with pytest.raises(ValueError, match="a value for every label"):
        svg.line_chart(chart_id="c", title="t", description="d", labels=["a"],
                       series=[svg.Series("n", [None])])


def test_no_data_still_draws_an_axis():
    tree = parse(svg.bar_chart(chart_id="c", title="t", description="d", labels=[],
                               series=[svg.Series("n", [])]))
    assert texts(tree, "//svg:g[contains(@class, 'value-axis')]/svg:text") == ["0", "1"]


def test_wrong_input_is_refused():
    with pytest.raises(ValueError, match="chart id"):
        svg.bar_chart(chart_id='x" onload="alert(1)', title="t", description="d", labels=[], series=[])
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        svg.line_chart(chart_id="c", title="t", description="d", labels=["a", "b", "c"],
                       series=[svg.Series("n", [1, 2])])


@pytest.mark.parametrize(("maximum", "whole", "expected"), [
    (0, True, [0, 1]), (1, True, [0, 1]), (7, True, [0, 2, 4, 6, 8]), (100, False, [0, 20, 40, 60, 80, 100]),
    (0.3, False, [0, 0.1, 0.2, 0.3]), (1234, True, [0, 500, 1000, 1500]),
])
def test_nice_ticks(maximum, whole, expected):
    assert svg.nice_ticks(maximum, whole=whole) == expected
