"""The flow view's drawing: lanes, one message per step in its producer's lane, an arrow per cause, durations,
failed, repeated and late steps marked, and every text escaped. Pure: no database."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from publishing.flow_view import FAILED, LANES, LEFT, OVERDUE, Step, duration, flow_svg

NS = {"svg": "http://www.w3.org/2000/svg"}
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def step(key: str, service: str, type_: str, *, cause: str | None = None, at: float = 0.0, label: str = "",
         **extra) -> Step:
    time = T0 + timedelta(seconds=at)
    return Step(key=key, cause=cause, time=time, service=service, type=type_, label=label or type_,
                arrived=extra.pop("arrived", time), **extra)


HAPPY = [
    step("e1", "publishing", "article.submitted"),
    step("e2", "moderation", "moderation.approved", cause="e1", at=0.42),
    step("e3", "publishing", "article.published", cause="e2", at=1.5),
    step("e4", "search_indexer", "search.indexed", cause="e3", at=2.0),
    step("e5", "notifications", "notification.sent", cause="e3", at=4.2),
]


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # also proves the document is well-formed XML


def arrows(svg: str) -> list[ET.Element]:
    return [p for p in parsed(svg).iter("{http://www.w3.org/2000/svg}path") if p.get("marker-end")]


def messages(svg: str) -> list[ET.Element]:
    return [g for g in parsed(svg).iter("{http://www.w3.org/2000/svg}g")]


def dot_x(group: ET.Element) -> float:
    return float(group.find("svg:circle", NS).get("cx"))


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


def test_one_lane_per_service_in_order() -> None:
    root = parsed(flow_svg(HAPPY))
    headers = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text in LANES]
    assert headers == list(LANES)


def test_each_message_is_drawn_in_its_producers_lane() -> None:
    groups = messages(flow_svg(HAPPY))
    assert len(groups) == len(HAPPY)
    lane_x = {s.service: dot_x(g) for s, g in zip(HAPPY, groups, strict=True)}
    assert sorted(lane_x, key=lane_x.get) == list(LANES)
    assert dot_x(groups[0]) == dot_x(groups[2])  # both publishing's


def test_an_arrow_per_causation_from_cause_to_effect() -> None:
    drawn = arrows(flow_svg(HAPPY))
    assert len(drawn) == 4  # e1 has no cause
    groups = messages(flow_svg(HAPPY))
    # The arrow into search.indexed leaves article.published's dot (publishing lane) and ends in search's lane.
    start = re.match(r"M(\d+) (\d+)", drawn[2].get("d")).groups()
    assert float(start[0]) == dot_x(groups[2])
    end_x = float(re.findall(r"L(\d+) ", drawn[2].get("d"))[-1])
    assert dot_x(groups[2]) < end_x <= dot_x(groups[3])


def test_no_arrow_without_a_cause_and_a_stub_when_the_cause_is_not_on_the_timeline() -> None:
    svg = flow_svg([step("a", "publishing", "article.submitted"),
                    step("b", "moderation", "moderation.takedown", cause="elsewhere", at=5)])
    assert len(arrows(svg)) == 1
    assert "cause not on this timeline" in svg


def test_each_step_says_how_long_it_took_after_its_cause() -> None:
    texts = [text_of(g) for g in messages(flow_svg(HAPPY))]
    assert "+420 ms" in texts[1]
    assert "+1.1 s" in texts[2]  # published 1.08 s after the approval, not 1.5 s after the submission
    assert "+500 ms" in texts[3]
    assert "+2.7 s" in texts[4]
    assert not re.search(r"\+\d", texts[0])  # a flow's first step has no cause to count from


@pytest.mark.parametrize(("seconds", "shown"), [
    (0.004, "4 ms"), (0.42, "420 ms"), (4.25, "4.2 s"), (59.9, "59.9 s"), (200, "3 min 20 s"), (120, "2 min"),
    (7500, "2 h 5 min"), (3 * 86400 + 4 * 3600, "3 d 4 h"), (-0.2, "−200 ms (clocks differ)"),
])
def test_durations_read_short(seconds: float, shown: str) -> None:
    assert duration(seconds) == shown


def test_author_text_is_escaped_and_cannot_add_markup() -> None:
    title = '<script>alert(1)</script> & "quotes" </text></svg><svg onload=alert(2)>'
    svg = flow_svg([step("a", "publishing", "article.submitted", label=title, detail=title)], heading=title)
    root = parsed(svg)
    assert "<script" not in svg
    assert [el.tag for el in root.iter() if el.tag.endswith(("script", "foreignObject"))] == []
    assert not any(name.startswith("on") for el in root.iter() for name in el.attrib)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert title in "".join(root.itertext())  # the reader still sees what the author wrote, as text


def test_characters_xml_cannot_hold_are_dropped_so_the_document_still_parses() -> None:
    svg = flow_svg([step("a", "moderation", "moderation.rejected", label="bad\x00\x01\x1b text\ufffe")])
    assert "bad text" in text_of(parsed(svg))


def test_a_failed_notification_is_red_with_a_failed_arrow() -> None:
    svg = flow_svg([*HAPPY, step("e6", "notifications", "notification.failed", cause="e3", at=30, failed=True,
                                 thread="n1")])
    failed = messages(svg)[-1]
    assert [t.text for t in failed.iter("{http://www.w3.org/2000/svg}tspan") if t.get("fill") == FAILED] == ["failed"]
    assert failed.find("svg:circle", NS).get("stroke") == FAILED
    assert arrows(svg)[-1].get("marker-end") == "url(#flow-arrow-failed)"
    assert arrows(svg)[-1].get("stroke-dasharray")


def test_a_retried_flow_shows_the_failure_then_the_repeat_and_the_late_arrival() -> None:
    # The webhook failed after its retries; an editor resent it an hour later; a replayed search.indexed
    # reached publishing ten minutes after it happened (it sat in a dead-letter queue).
    flow = [
        *HAPPY[:3],
        step("e4", "search_indexer", "search.indexed", cause="e3", at=2.0,
             arrived=T0 + timedelta(seconds=602)),
        step("n-fail", "notifications", "notification.failed", cause="e3", at=40, failed=True, thread="n1"),
        step("n-sent", "notifications", "notification.sent", cause="e3", at=3640, thread="n1"),
    ]
    svg = flow_svg(flow)
    texts = [text_of(g) for g in messages(svg)]
    assert "arrived 10 min late (retried or replayed)" in texts[3]
    assert "+500 ms" in texts[3]  # its own step took no longer: it was delivered late
    assert "failed" in texts[4] and "repeat" not in texts[4]
    assert "repeat 2" in texts[5] and "+1 h" in texts[5]
    assert len(arrows(svg)) == 5
    # Repeated and late messages are ringed: two circles in their group.
    assert [len(g.findall("svg:circle", NS)) for g in messages(svg)] == [1, 1, 1, 2, 1, 2]


def test_a_quick_arrival_is_not_late() -> None:
    svg = flow_svg([step("a", "search_indexer", "search.indexed", arrived=T0 + timedelta(seconds=3))])
    assert "late" not in text_of(messages(svg)[0])
    assert len(messages(svg)[0].findall("svg:circle", NS)) == 1


def test_a_new_flow_on_the_same_article_is_set_apart() -> None:
    flow = [*HAPPY, step("r2", "publishing", "article.submitted", at=100)]
    separators = [line for line in parsed(flow_svg(flow)).iter("{http://www.w3.org/2000/svg}line")
                  if line.get("stroke-dasharray") == "1 3" and line.get("x1") == str(LEFT)]
    assert len(separators) == 1


def test_an_arrow_within_one_lane_bends_out_of_it() -> None:
    svg = flow_svg([step("t", "moderation", "moderation.takedown"),
                    step("x", "moderation", "moderation.review_requested", cause="t", at=1)])
    assert " C" in arrows(svg)[0].get("d")


def test_the_heading_counts_the_events_and_the_time_they_took() -> None:
    assert "Flow of x: 5 events over 4.2 s" in flow_svg(HAPPY, heading="Flow of x")


def test_a_long_timeline_shows_its_latest_steps_and_says_so() -> None:
    many = [step(f"s{n}", "publishing", "article.submitted", at=n) for n in range(12)]
    svg = flow_svg(many, limit=5)
    assert len(messages(svg)) == 5
    assert "the last 5 of 12 events" in svg


def test_an_empty_timeline_says_so() -> None:
    assert "Nothing has happened yet." in flow_svg([])


def test_an_effect_stamped_before_its_cause_still_gets_its_arrow() -> None:
    # The producers' clocks differ: moderation's decision carries a time just before the submission's.
    svg = flow_svg([step("d", "moderation", "moderation.approved", cause="s", at=0.0),
                    step("s", "publishing", "article.submitted", at=0.2)])
    assert len(arrows(svg)) == 1
    assert "moderation.approved −200 ms (clocks differ)" in text_of(messages(svg)[0])


def test_a_stuck_flow_note_is_a_warning_with_its_own_flag_and_arrow() -> None:
    svg = flow_svg([*HAPPY[:3], step("stuck", "publishing", "flow.stuck", cause="e3", at=62, overdue=True,
                                     label="indexed overdue since 12:01:01")])
    note = messages(svg)[-1]
    assert note.find("svg:circle", NS) is None  # a triangle, not an event's dot
    assert [t.text for t in note.iter("{http://www.w3.org/2000/svg}tspan") if t.get("fill") == OVERDUE] == [
        "stuck: the next step is overdue"]
    assert arrows(svg)[-1].get("stroke") == OVERDUE


def test_the_heading_counts_what_the_caller_left_out() -> None:
    assert "(the last 5 of 40 events)" in flow_svg(HAPPY, heading="Flow", total=40)
