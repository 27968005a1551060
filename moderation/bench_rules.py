"""Benchmark of the automatic rules on hostile 200,000-character inputs and on ordinary articles.

`make bench-rules` (BENCH_ARGS="--rounds 5 --baseline-limit 10"). Runs the pure engine with the
default rule set (as the migration creates it) and a history of 500 rejected cases, and prints the
time of the whole rule set and of each rule per input, next to the same input under the engine as it
was before RE2 (`Baseline`, kept here only as the yardstick; it runs in a child process that is
stopped after --baseline-limit seconds). Goal: every input under 50 ms for the whole rule set.
"""
from __future__ import annotations

import argparse
import importlib
import multiprocessing
import queue
import random
import re
import statistics
import time
import unicodedata
import zlib
from collections.abc import Callable
from urllib.parse import urlsplit

from moderation.rules import CHECKS, History, RuleSpec, Submission, rules_run, shingles, sketch
from moderation.rules.engine import memos_clear
from moderation.rules.history import jaccard
from moderation.rules.text import CONFUSABLES, LEET
from moderation.rules.types import Finding

SIZE = 200_000
GOAL_MS = 50.0
_WORDS = ("the council said on tuesday that its plan for the river path would open next spring after a long "
          "review of costs and of what residents asked for in letters cafe owners welcomed it while some "
          "cyclists worried about the narrow bridge near the old mill").split()


def default_rules() -> list[RuleSpec]:
    """The rule set a fresh install has (moderation/migrations/0003_default_rules.py)."""
    migration = importlib.import_module("moderation.migrations.0003_default_rules")
    return [RuleSpec(code=r["code"], kind=r["kind"], message=r["message"], weight=r["weight"], action=r["action"],
                     params=r["params"]) for r in migration.RULES]


def article(chars: int, *, seed: int = 1) -> str:
    """Plain prose with paragraphs, punctuation, a link now and then and typographic quotes."""
    rnd = random.Random(seed)
    out, length = [], 0
    while length < chars:
        words = [rnd.choice(_WORDS) for _ in range(rnd.randint(8, 20))]
        words[0] = words[0].capitalize()
        if rnd.random() < 0.1:
            words.insert(3, f"https://example{rnd.randint(1, 9)}.org/{rnd.choice(_WORDS)}")
        if rnd.random() < 0.2:
            words[-1] = f"“{words[-1]}”"
        sentence = " ".join(words) + rnd.choice([". ", ". ", "? ", ".\n\n"])
        out.append(sentence)
        length += len(sentence)
    return "".join(out)[:chars]


def _fill(unit: str, chars: int) -> str:
    return (unit * (chars // len(unit) + 1))[:chars]


def _mixed_scripts(chars: int = SIZE) -> str:
    rnd = random.Random(7)
    alphabet = ("viagracialsbonu" "аеорсхіαεορτυβ" "жзийлфцчшщыюя" "数字漢字かなカナ" "שלוםمرحبا"
                "\u200b\u200c\u200d\u2060\ufeff\u00ad" "\u0301\u0308\u0327" "ßæœﬁ①" "😀🎰💊" " .-_*")
    return "".join(rnd.choice(alphabet) for _ in range(chars))


def hostile_inputs(chars: int = SIZE) -> dict[str, str]:
    """Inputs made to hurt a backtracking engine or a per-character Python loop, `chars` long each."""
    rnd = random.Random(3)
    return {
        "one letter: fr+e*": "fr" + "e" * (chars - 2),
        "one letter: v+i*": "v" + "i" * (chars - 1),
        "letter.gap runs": "fr" + _fill("e.", chars - 2),
        "phrase gap: casino+-*": "casino" + "-" * (chars - 6),
        "nested brackets": "(" * (chars // 2) + ")" * (chars - chars // 2),
        "brackets+links": _fill("[(https://a.io/(x)[y])] ", chars),
        "thousands of links": _fill("https://bit.ly/x1 www.example.com/p ", chars),
        "non-ASCII links, new hosts": " ".join(f"https://bіt{i}.ly/ж http://пример{i}.рф/a www.ｅｘ{i}.com"
                                               for i in range(chars // 40))[:chars].ljust(chars),
        "one huge link": "https://" + "a" * (chars - 8),
        "www. www. www.": _fill("www.", chars),
        "mixed scripts + zero-width": _mixed_scripts(chars),
        "zero-width between letters": _fill("v\u200bi\u200ba\u200bg\u200br\u200ba\u200b ", chars),
        "evasions, thousands": _fill("v1agra viаgrа v.i.a.g.r.a VIAGRA c4sino-b0nus ", chars),
        "long word": "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(chars)),
        "ALL CAPS": _fill("STOP SHOUTING AT ME ", chars),
        "digits and symbols": _fill("1|!$@3€7 ", chars),
        "earn $ pattern bait": _fill("earn $1,000,000,000 per ", chars),
        "distinct code points": "".join(chr(0x4E00 + i % 0x5000) if i % 3 else chr(0x10000 + i) for i in range(chars)),
    }


def ordinary_inputs() -> dict[str, str]:
    return {f"article {n // 1000}k": article(n, seed=n) for n in (2_000, 8_000, 30_000, SIZE)}


_SPAM_WORDS = ("limited offer best price order now free shipping discount code new customers only win big "
               "claim your prize today exclusive deal act fast guaranteed results click here").split()


def history(cases: int = 500) -> History:
    """500 rejected cases (spam of its own words): what the near-duplicate rule compares against, its lookback."""
    rejected = []
    for i in range(cases):
        rnd = random.Random(1000 + i)
        body = " ".join(rnd.choice(_SPAM_WORDS) for _ in range(rnd.randint(60, 400)))
        rejected.append((f"case{i}", sketch(shingles(Submission(title="Offer", body=body)))))
    return History(author_approved=3, rejected=tuple(rejected))


def _time(run: Callable[[], object], rounds: int) -> float:
    """Median wall time of `rounds` cold runs, in ms: the rules' memos of recent texts are cleared first."""
    times = []
    for _ in range(rounds):
        memos_clear()
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _per_rule(rules: list[RuleSpec], sub: Submission, hist: History, rounds: int) -> dict[str, float]:
    return {rule.code: _time(lambda rule=rule: list(rules_run([rule], sub, hist)), rounds) for rule in rules}


# The engine as it was before RE2, the yardstick here and the oracle of the equivalence tests
# (moderation/tests): Python `re` with backtracking term patterns, a Python step per character for
# folding, shouting and shingles, urlsplit() per link. Nothing in the product uses it.
class Baseline:
    GAP, WORD_GAP = r"[\s.\-_*]?", r"[\W_]*"
    URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>()\[\]\"'`]+")
    WORD = re.compile(r"\w+")

    @staticmethod
    def fold_char(char: str, leet: bool) -> str:
        if unicodedata.category(char) == "Cf":
            return ""
        out = []
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(part):
                continue
            for low in part.casefold():
                low = CONFUSABLES.get(low, low)
                out.append("".join(LEET.get(c, c) for c in low) if leet else low)
        return "".join(out)

    @classmethod
    def fold(cls, text: str, leet: bool = True) -> tuple[str, list[int]]:
        """The folded text and, for each of its characters, the index of the original one."""
        chars, origin = [], []
        for index, char in enumerate(text):
            folded = cls.fold_char(char, leet)
            chars.append(folded)
            origin.extend([index] * len(folded))
        return "".join(chars), origin

    @classmethod
    def terms_regex(cls, terms: list[str]) -> re.Pattern[str] | None:
        parts = [cls.WORD_GAP.join(cls.GAP.join(re.escape(c) + "+" for c in word) for word in cls.fold(term)[0].split())
                 for term in terms if cls.fold(term)[0].strip()]
        return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)") if parts else None

    @classmethod
    def term_spans(cls, terms: list[str], text: str) -> list[tuple[int, int]]:
        """Where the banned terms are in `text`, in its own offsets."""
        regex = cls.terms_regex(terms)
        folded, origin = cls.fold(text)
        return [(origin[hit.start()], origin[hit.end() - 1] + 1) for hit in regex.finditer(folded)] if regex else []

    @classmethod
    def pattern_spans(cls, patterns: list[str], text: str) -> list[tuple[int, int]]:
        folded, origin = cls.fold(text, leet=False)
        return [(origin[hit.start()], origin[hit.end() - 1] + 1) for pattern in patterns
                for hit in re.finditer(pattern, folded, re.IGNORECASE) if hit.end() > hit.start()]

    @classmethod
    def host(cls, url: str) -> str:
        try:
            host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
        except ValueError:
            return ""
        return cls.fold(host, leet=False)[0].rstrip(".")

    @classmethod
    def links(cls, text: str) -> list[tuple[int, int, str, str]]:
        found = []
        for hit in cls.URL.finditer(text):
            url = hit.group().rstrip(".,;:!?")
            found.append((hit.start(), hit.start() + len(url), url, cls.host(url)))
        return found

    @staticmethod
    def domain_in(host: str, domains: list[str]) -> bool:
        return any(host == d or host.endswith("." + d) for d in (d.lower().strip(".") for d in domains) if d)

    @staticmethod
    def shouting_ratio(text: str, min_letters: int = 20) -> float | None:
        letters = [c for c in text if c.isalpha() and (c.isupper() or c.islower())]
        return sum(c.isupper() for c in letters) / len(letters) if len(letters) >= min_letters else None

    @classmethod
    def shingles(cls, title: str, body: str, size: int = 5) -> frozenset[int]:
        words = cls.WORD.findall(cls.fold(f"{title}\n{body}")[0])
        if len(words) < size:
            return frozenset([zlib.crc32(" ".join(words).encode())]) if words else frozenset()
        return frozenset(zlib.crc32(" ".join(words[i:i + size]).encode()) for i in range(len(words) - size + 1))

    @classmethod
    def run(cls, rules: list[RuleSpec], sub: Submission, hist: History) -> None:
        """The old engine's work for every rule (its findings are not built: it is only timed)."""
        for rule in rules:
            texts = [text for _field, text in sub.field_texts()]
            if rule.kind == "banned_terms":
                for text in texts:
                    cls.term_spans(rule.params.get("terms", []), text)
                    cls.pattern_spans(rule.params.get("patterns", []), text)
            elif rule.kind in ("link_limit", "blocked_domains"):
                domains = rule.params.get("domains", rule.params.get("internal_domains", []))
                [cls.domain_in(host, domains) for text in texts for *_, host in cls.links(text)]
            elif rule.kind == "shouting":
                [cls.shouting_ratio(text) for text in texts]
            elif rule.kind == "near_duplicate":
                mine = sketch(cls.shingles(sub.title, sub.body))
                max((jaccard(mine, theirs) for _case, theirs in hist.rejected), default=0.0)
            else:
                list(CHECKS[rule.kind](rule, sub, hist))


def _baseline_child(rules: list[RuleSpec], sub: Submission, hist: History, out: multiprocessing.Queue) -> None:
    start = time.perf_counter()
    Baseline.run(rules, sub, hist)
    out.put((time.perf_counter() - start) * 1000)


def baseline_ms(rules: list[RuleSpec], sub: Submission, hist: History, *, limit: float) -> float | None:
    """One run of the old engine in a child process; None when it had not finished within `limit` s."""
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_baseline_child, args=(rules, sub, hist, out), daemon=True)
    child.start()
    child.join(limit)
    if child.is_alive():
        child.terminate()
        child.join()
        return None
    try:
        return out.get(timeout=5)
    except queue.Empty:  # the child died without a result
        return None


def _findings(found: list[Finding]) -> str:
    codes: dict[str, int] = {}
    for f in found:
        codes[f.rule] = codes.get(f.rule, 0) + 1
    return " ".join(f"{code}×{n}" if n > 1 else code for code, n in codes.items()) or "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs per input and rule; the median is printed")
    parser.add_argument("--size", type=int, default=SIZE, help="characters per hostile input")
    parser.add_argument("--baseline-limit", type=float, default=10.0, help="seconds before the old engine is stopped")
    parser.add_argument("--no-baseline", action="store_true", help="do not run the old engine")
    args = parser.parse_args(argv)

    rules = default_rules()
    hist = history()
    ordinary = ordinary_inputs()
    inputs = {**ordinary, **hostile_inputs(args.size)}
    # Warm-up, not timed: the one-off work of a fresh process (RE2 compiles the term list; Python's
    # word and space classes are read from the interpreter's Unicode tables).
    rules_run(rules, Submission(title="warm up", body=article(2_000)), hist)

    codes = [rule.code for rule in rules]
    header = f"{'input':<28} {'chars':>7} {'all ms':>8} " + " ".join(f"{c[:12]:>12}" for c in codes)
    header += f" {'old ms':>9} {'speed-up':>9}  findings"
    print(f"rules: {len(rules)} default; history: {len(hist.rejected)} rejected cases; median of {args.rounds} runs, "
          "each from a cold start (no memo of the text); a rule's column is that rule alone, with the folding it "
          "shares with others")
    print(header)
    worst = 0.0
    for name, body in inputs.items():
        sub = Submission(title="A title for the benchmark", summary="", body=body)
        found = rules_run(rules, sub, hist)
        total = _time(lambda sub=sub: rules_run(rules, sub, hist), args.rounds)
        if name not in ordinary:
            worst = max(worst, total)
        per_rule = _per_rule(rules, sub, hist, args.rounds)
        old = None if args.no_baseline else baseline_ms(rules, sub, hist, limit=args.baseline_limit)
        old_text = "-" if args.no_baseline else (f">{args.baseline_limit * 1000:.0f}" if old is None else f"{old:.1f}")
        ratio = "-" if args.no_baseline else (f">{args.baseline_limit * 1000 / total:.0f}×" if old is None
                                              else f"{old / total:.0f}×")
        row = f"{name:<28} {len(body):>7} {total:>8.1f} " + " ".join(f"{per_rule[c]:>12.2f}" for c in codes)
        print(f"{row} {old_text:>9} {ratio:>9}  {_findings(found)}", flush=True)
    verdict = "met" if worst < GOAL_MS else "NOT met"
    print(f"slowest hostile input: {worst:.1f} ms for the whole rule set (goal < {GOAL_MS:.0f} ms: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
