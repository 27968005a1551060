"""Hostile input cannot stall moderation: every benchmark input passes the whole default rule set quickly.

The bound is generous (the benchmark's goal is 50 ms; `make bench-rules`): it is there to catch a
pattern or a loop that is quadratic again, not to time the machine.
"""
from __future__ import annotations

import time

import pytest

from moderation import bench_rules
from moderation.rules import Submission, rules_run
from moderation.rules.engine import memos_clear

BOUND_S = 2.0
INPUTS = bench_rules.hostile_inputs()
RULES = bench_rules.default_rules()


@pytest.fixture(scope="module")
def history():
    return bench_rules.history(100)


@pytest.mark.parametrize("name", list(INPUTS))
def test_a_hostile_input_passes_every_rule_in_bounded_time(name: str, history) -> None:
    body = INPUTS[name]
    assert len(body) == bench_rules.SIZE
    memos_clear()
    start = time.perf_counter()
    found = rules_run(RULES, Submission(title="Hostile", body=body), history)
    assert time.perf_counter() - start < BOUND_S
    assert "too_long" in {f.rule for f in found}  # every rule ran to the end of the body


@pytest.mark.parametrize(("name", "fires"), [
    ("one letter: fr+e*", False),  # "free spins" needs the spins
    ("evasions, thousands", True),
    ("zero-width between letters", True),
    ("mixed scripts + zero-width", False),
])
def test_hostile_inputs_are_still_judged(name: str, fires: bool, history) -> None:
    found = rules_run(RULES, Submission(title="Hostile", body=INPUTS[name]), history)
    assert ("spam_terms" in {f.rule for f in found}) is fires


def test_the_benchmark_prints_every_input_and_rule(capsys) -> None:
    bench_rules.main(["--size", "3000", "--rounds", "1", "--no-baseline"])
    out = capsys.readouterr().out
    assert all(name in out for name in INPUTS) and all(rule.code[:12] in out for rule in RULES)
    assert "slowest hostile input" in out


def test_the_baseline_is_the_old_engine_and_runs() -> None:
    sub = Submission(title="t", body=bench_rules.article(2_000) + " v1agra https://bit.ly/x")
    bench_rules.Baseline.run(RULES, sub, bench_rules.history(5))
    assert bench_rules.Baseline.term_spans(["viagra"], sub.body) == [(2_001, 2_007)]
