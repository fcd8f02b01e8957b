"""tasks/brics.py: the brics parser, the automata it builds, and the time-boxed `dfa_equivalent` scorer.

The automata are checked three ways: known (non-)equivalences; a brute-force membership test that
reads the AST directly (an independent semantics of the grammar); and greenery's own Fsm operations
on the same trees (tasks/brics.py runs the same constructions on integer tables, for speed).
"""
from __future__ import annotations

import functools
import itertools
import json
import os
import random
import re
import subprocess
import sys
import threading
import time

import pytest

from tasks import brics
from tasks.base import Verdict
from tasks.brics import (BricsSyntaxError, Chars, Complement, Concat, Inter, Repeat, Union, build_dfa,
                         dfa_equivalent, dfa_of, equivalent_fsm, literal, parse, same_language, to_fsm)
from tasks.jsonl import resolve_data_dir

A, B, C = literal("a"), literal("b"), literal("c")


# --------------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("regex, same, different", [
    ("a|b&c", "a|(b&c)", "(a|b)&c"),  # & binds tighter than |
    ("ab|c", "(ab)|c", "a(b|c)"),  # concatenation tighter than |
    ("ab&c", "(ab)&c", "a(b&c)"),  # ... and than &
    ("ab*", "a(b*)", "(ab)*"),  # postfix tighter than concatenation
    ("~(a)b", "(~(a))b", "~((a)b)"),  # ~ applies to one atom
    ("~a*", "(~a)*", "~(a*)"),  # brics: ~ binds tighter than postfix operators
    ("a*{2}", "(a*){2}", "a(*{2})"),  # postfix operators stack
])
def test_precedence(regex, same, different):
    assert parse(regex) == parse(same)
    assert parse(regex) != parse(different)


def test_parse_tree_shapes():
    assert parse("a|b&c") == Union((A, Inter((B, C))))
    assert parse("~(a)b") == Concat((Complement(A), B))
    assert parse("ab*") == Concat((A, Repeat(B, 0, None)))
    assert parse("(a){3,}") == Repeat(A, 3, None)
    assert parse("a{2,4}") == Repeat(A, 2, 4)
    assert parse("a{2}") == Repeat(A, 2, 2)
    assert parse("a+") == Repeat(A, 1, None)
    assert parse("a?") == Repeat(A, 0, 1)
    assert parse("()") == Concat(()) == parse("")
    assert parse("[a-c]") == Chars(((97, 99),))
    assert parse("[^b-y]") == Chars(((0, 97), (122, 0xFFFF)))
    assert parse(".") == Chars(((0, 0xFFFF),))


@pytest.mark.parametrize("regex, same", [
    ("\\b", "b"),  # a backslash makes the next character a literal: \b is the letter b
    ("\\d\\.", 'd"."'),
    ("*a", '"*a"'),  # where an atom is expected, an operator character is a literal (as in brics)
    ("a||b", 'a|"|b"'),
    ("{,3}", '"{,3}"'),  # a `{` that follows nothing is the character {
    ("[]a]", "[a\\]]"),  # a first ] in a class is a member
    ("[a-]", "[\\-a]"),  # a final - is a member
    ("a b", '"a b"'),  # whitespace is literal: no stripping inside the parser
    ("@", "(.)*"),  # brics: any string
    ("[z-a]", "#"),  # a reversed range is empty, as brics' makeCharRange
])
def test_literals_and_brics_quirks(regex, same):
    assert parse(regex) == parse(same)


@pytest.mark.parametrize("regex, problem", [
    ("(ab", "position 3: expected ')'"),
    ("a)", "position 1: end of string expected"),
    ("[a-", "position 3: unexpected end of string"),
    ("a{,3}", "position 2: integer expected"),
    ("a{3", "position 3: expected '}'"),
    ("a{2,x}", "position 4: expected '}'"),
    ("[]", "position 2: expected ']'"),
    ("a\\", "position 2: unexpected end of string"),
    ('"abc', "expected '\"'"),
    ("<VOW>", "named automaton <VOW> is not defined"),  # deep-regex macros are not brics syntax
    ("<1-x>", "interval syntax error"),
    ("a{3000000000}", "does not fit a Java int"),
    ("x" * 5000, "longer than the limit of 1000"),
    ("(" * 150 + "a" + ")" * 150, "nesting deeper than the limit"),
    ("~" * 150 + "a", "nesting deeper than the limit"),
    ("a" + "*" * 150, "levels deep"),
])
def test_syntax_errors_name_position_and_problem(regex, problem):
    with pytest.raises(BricsSyntaxError, match=re.escape(problem)):
        parse(regex)


def test_long_flat_alternatives_are_not_deep():
    parse("|".join(["(.*dog.*)"] * 100))  # 900 characters, but one level of union


# --------------------------------------------------------------------------------------------------
# Automata: known answers
# --------------------------------------------------------------------------------------------------

EQUIVALENT = [
    (".*.*", ".*"),
    ("(.*dog.*)&(.*truck.*)", "(.*truck.*)&(.*dog.*)"),
    ("(.*dog.*)&(.*truck.*)", "(.*dog.*truck.*)|(.*truck.*dog.*)"),
    ("~(~(.*dog.*))", ".*dog.*"),
    ("~(~((([A-Z])|(dog)){3,}))", "(([A-Z])|(dog)){3,}"),
    ("(.*[0-9].*)|(~(.*[0-9].*))", ".*"),
    ("(a){2,4}", "aa|aaa|aaaa"),
    ("(a){2,}", "aa(a)*"),
    ("(a)+", "a(a)*"),
    ("(a)?", "()|a"),
    ("\\b", "b"),
    ("\\b(dog)\\b", "bdogb"),
    ("[0-9]", "0|1|2|3|4|5|6|7|8|9"),
    ("[A-Za-z]", "[A-Z]|[a-z]"),
    ("[^a]|a", "."),
    ("~(.*)", "#"),
    ("@", ".*"),
    ("(.*dog.*)&(~(.*dog.*))", "#"),
    ("(a){3,2}", "#"),  # brics: min > max is the empty language
    ("(a){0}", "()"),
    ("(dog){2,}", "dogdog(dog)*"),
    # the golds' own style, rewritten
    ("~((dog.*[0-9].*){3,})", "~((dog.*[0-9].*)(dog.*[0-9].*)(dog.*[0-9].*)(dog.*[0-9].*)*)"),
    (".*(.*)(([AEIOUaeiou])*).*", ".*"),
    ("((dog)|((.*)(truck))){6,}", "((dog)|(.*truck))((dog)|(.*truck))((dog)|(.*truck))((dog)|(.*truck))"
                                  "((dog)|(.*truck))((dog)|(.*truck))((dog)|(.*truck))*"),
    # brics' alphabet is UTF-16 code units: a class reaching \uffff is `.`, and only \uffff escapes [\0-\ufffe]
    ("[\x00-\uffff]", "."),
    ("(.)&(~([\x00-\ufffe]))", "\uffff"),
    ("<1-12>", "0*([1-9]|1[0-2])"),
    ("<01-12>", "0[1-9]|1[0-2]"),
    ("<12-1>", "<1-12>"),
]

NOT_EQUIVALENT = [
    (".*dog.*", ".*truck.*"),
    ("(a){2,}", "(a){3,}"),
    ("~(.*dog.*)", ".*dog.*"),
    ("\\b", "()"),  # \b is the letter b, not an empty word boundary
    ("\\b", ""),
    ("\\bdog\\b", "dog"),
    ("~(a)b", "~(ab)"),
    ("~(~(a){3,})", "(a){3,}"),  # ~ binds tighter than {3,}: this is ~((~(a)){3,})
    ("(.*dog.*)&(.*truck.*)", "(.*dog.*truck.*)"),
    ("[A-Z]", "[A-Za-z]"),
    (".", ".."),
    ("(.)&(~([\x00-\ufffd]))", "\uffff"),
]


@pytest.mark.parametrize("a, b", EQUIVALENT)
def test_known_equivalences(a, b):
    assert equivalent_fsm(a, b)
    assert equivalent_fsm(b, a)


@pytest.mark.parametrize("a, b", NOT_EQUIVALENT)
def test_known_non_equivalences(a, b):
    assert not equivalent_fsm(a, b)
    assert not equivalent_fsm(b, a)


@pytest.mark.parametrize("regex", ["(.*dog.*)&(.*truck.*)", "~(.*[0-9].*)", "([A-Z]){2,}", "\\b[a-z]\\b", "#", "()"])
def test_complement_is_relative_to_all_strings(regex):
    assert equivalent_fsm(f"~(~({regex}))", regex)
    assert equivalent_fsm(f"({regex})|(~({regex}))", ".*")
    assert equivalent_fsm(f"({regex})&(~({regex}))", "#")


def test_code_units_as_in_java():
    dot, two = dfa_of("."), dfa_of("..")
    emoji = "\U0001F600"  # one code point, two UTF-16 code units
    assert not dot.accepts(emoji) and two.accepts(emoji)
    assert dfa_of("[^a]").accepts("\uffff") and not dfa_of("[^a]").accepts("a")
    assert dfa_of(emoji).accepts(emoji) and not dfa_of(emoji).accepts("\ud83d")


def test_intervals_match_their_numbers():
    free, fixed = dfa_of("<7-120>"), dfa_of("<007-120>")
    for n in range(1000):
        for text in (str(n), str(n).zfill(3), str(n).zfill(5)):
            assert free.accepts(text) == (7 <= n <= 120), text
            assert fixed.accepts(text) == (len(text) == 3 and 7 <= n <= 120), text
    assert not free.accepts("") and not free.accepts("1a")


def test_to_fsm_is_a_greenery_fsm():
    import greenery

    fsm = to_fsm(parse(".*dog.*"))
    assert isinstance(fsm, greenery.Fsm)
    assert fsm.accepts("hotdogs") and not fsm.accepts("dig")
    assert fsm == greenery.parse(".*dog.*").to_fsm()  # greenery's own regex and equivalence agree


# --------------------------------------------------------------------------------------------------
# Automata: against two independent references, on random regexes
# --------------------------------------------------------------------------------------------------

def member(node, text: str) -> bool:
    """Brute-force membership straight from the AST: the grammar's meaning, with no automaton."""
    n = len(text)

    @functools.lru_cache(maxsize=None)
    def m(node, i: int, j: int) -> bool:  # does text[i:j] match node
        if isinstance(node, Chars):
            return j == i + 1 and any(lo <= ord(text[i]) <= hi for lo, hi in node.ranges)
        if isinstance(node, Concat):
            ends = {i}
            for part in node.parts:
                ends = {k2 for k in ends for k2 in range(k, j + 1) if m(part, k, k2)}
            return j in ends
        if isinstance(node, Union):
            return any(m(p, i, j) for p in node.parts)
        if isinstance(node, Inter):
            return all(m(p, i, j) for p in node.parts)
        if isinstance(node, Complement):
            return not m(node.inner, i, j)
        if node.high is not None and node.high < node.low:  # brics: min > max is the empty language
            return False
        step = lambda ends: {k2 for k in ends for k2 in range(k, j + 1) if m(node.inner, k, k2)}  # noqa: E731
        ends = {i}
        for _ in range(node.low):
            ends = step(ends)
        seen = set(ends)
        for _ in range((j - i + 1) if node.high is None else node.high - node.low):
            ends = step(ends)
            seen |= ends
        return j in seen

    return m(node, 0, n)


def greenery_fsm(node):
    """The same tree built with greenery's own Fsm operations (slow: small trees only)."""
    from greenery import EPSILON, NULL, Fsm

    if isinstance(node, Chars):
        return build_dfa(node).to_fsm()  # leaves are shared; what is checked is how they combine
    if isinstance(node, Concat):
        return Fsm.concatenate(*map(greenery_fsm, node.parts)) if node.parts else EPSILON
    if isinstance(node, Union):
        return Fsm.union(*map(greenery_fsm, node.parts))
    if isinstance(node, Inter):
        return Fsm.intersection(*map(greenery_fsm, node.parts))
    if isinstance(node, Complement):
        return greenery_fsm(node.inner).everythingbut()
    inner = greenery_fsm(node.inner)
    if node.high is None:
        return inner.times(node.low) + inner.star()
    if node.low > node.high:
        return NULL
    return Fsm.union(*(inner.times(k) for k in range(node.low, node.high + 1)))


def random_regex(rng: random.Random, depth: int = 5) -> str:
    """A random brics regex over a, b and `.`, every operator included (some rarely)."""
    if depth == 0 or rng.random() < 0.15:
        return rng.choice(["a", "b", "ab", "ba", ".", "[ab]", "[^a]", "()", "\\b", ".*a"] * 3 + ["#"])
    inner = random_regex(rng, depth - 1)
    kind = rng.choice(["|", "|", "&", "", "", "", "~", "~", "*", "+", "?", "{2}", "{1,}", "{0,2}", "{2,1}"])
    if kind in ("|", "&", ""):
        return f"({inner}){kind}({random_regex(rng, depth - 1)})"
    if kind == "~":
        return f"~({inner})"
    return f"({inner}){kind}"


def all_strings(alphabet: str, max_len: int) -> list[str]:
    return ["".join(p) for n in range(max_len + 1) for p in itertools.product(alphabet, repeat=n)]


RANDOM = [random_regex(random.Random(seed)) for seed in range(100)]  # up to ~30 states each


def test_automata_match_brute_force_semantics():
    texts = all_strings("abc", 4)  # c is never mentioned: it stands for every other character
    for regex in RANDOM:
        node, dfa = parse(regex), dfa_of(regex)
        wrong = [t for t in texts if dfa.accepts(t) != member(node, t)]
        assert not wrong, (regex, wrong[:5])


def test_automata_match_greenery_operations():
    for regex in RANDOM:
        assert greenery_fsm(parse(regex)).equivalent(to_fsm(parse(regex))), regex


def test_equivalence_matches_greenery_on_pairs():
    rng = random.Random(1)
    pairs = [(rng.choice(RANDOM), rng.choice(RANDOM)) for _ in range(20)]
    pairs += [(x, f"~(~({x}))()") for x in RANDOM[:10]]  # equivalent by construction
    pairs += [(f"({x})|({y})", f"({y})|({x})") for x, y in zip(RANDOM[:10], RANDOM[10:20])]
    outcomes = set()
    for x, y in pairs:
        expected = greenery_fsm(parse(x)) == greenery_fsm(parse(y))  # greenery's own equivalence
        assert same_language(dfa_of(x), dfa_of(y)) == expected, (x, y)
        outcomes.add(expected)
    assert outcomes == {True, False}


# --------------------------------------------------------------------------------------------------
# The scorer
# --------------------------------------------------------------------------------------------------

GOLD = "~((dog.*[0-9].*){3,})"

JUNK = [
    "", "(", ")", "(((", "a)", "[", "x" * 5000, "(" * 500, "\x00", "\ud800", "\U0001F600" * 3,
    bytes(range(256)).decode("latin-1"), os.urandom(64).decode("utf-8", "surrogateescape"),
    "a{99999999999}", "<VOW>", "\\", "~", "|", "&", "{", "[^]", "\n", GOLD + "\n", " " + GOLD,
]


@pytest.mark.parametrize("prediction", JUNK, ids=range(len(JUNK)))
def test_scorer_never_raises(prediction):
    verdict = dfa_equivalent(prediction, GOLD, timeout=5.0)
    assert isinstance(verdict, Verdict)
    assert verdict.correct is not True


def test_scorer_verdicts():
    assert dfa_equivalent(GOLD, GOLD) == Verdict(True)  # identical strings: no parsing at all
    assert dfa_equivalent("(.*dog.*)&(.*truck.*)", "(.*truck.*)&(.*dog.*)") == Verdict(True)
    assert dfa_equivalent(".*dog.*", ".*truck.*") == Verdict(False)
    verdict = dfa_equivalent("(ab", GOLD)
    assert verdict.correct is False and verdict.reason.startswith("unparseable prediction: position 3")
    verdict = dfa_equivalent(GOLD, "(ab")
    assert verdict.correct is False and verdict.reason.startswith("unparseable gold: ")
    assert dfa_equivalent(GOLD, "(ab", timeout=None).correct is False


def test_budget_exhausted_is_undecided_and_the_next_check_works():
    dfa_equivalent("a", "b")  # a warm worker, so that its pid can be checked below
    old = brics._worker.proc.pid
    start = time.monotonic()
    verdict = dfa_equivalent(".*a.{40}", ".*a.{41}", timeout=1.0)  # 2**41 states
    assert verdict.correct is None and "undecided: no answer within 1.0 s" in verdict.reason
    assert time.monotonic() - start < 30
    with pytest.raises(ProcessLookupError):  # killed and reaped: no zombie left
        os.kill(old, 0)
    assert dfa_equivalent("(a){2,}", "aa(a)*", timeout=10.0) == Verdict(True)
    assert dfa_equivalent("(a){2,}", "(a){3,}", timeout=10.0) == Verdict(False)


def test_checks_from_several_threads():
    pairs = [("(a){2,}", "aa(a)*", True), (".*dog.*", ".*truck.*", False)] * 4
    results: list = [None] * len(pairs)

    def check(i: int) -> None:
        results[i] = dfa_equivalent(pairs[i][0], pairs[i][1]).correct

    threads = [threading.Thread(target=check, args=(i,)) for i in range(len(pairs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [p[2] for p in pairs]


def test_exit_hook_reaps_the_worker():
    dfa_equivalent("a", "b")
    pid = brics._worker.proc.pid
    brics._close_worker()  # what atexit runs
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert dfa_equivalent("a|b", "b|a") == Verdict(True)  # and a later check starts a new one


def test_worker_does_not_outlive_its_parent():
    code = ("from tasks import brics; brics.dfa_equivalent('a', 'b'); print(brics._worker.proc.pid)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    pid = int(out.stdout.strip())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    pytest.fail(f"worker {pid} still running after its parent exited")


# --------------------------------------------------------------------------------------------------
# The NL-RX data (skipped where it is not present; CI has it)
# --------------------------------------------------------------------------------------------------

NLRX_FILES = ("synth_train.jsonl", "synth_test.jsonl", "turk_train.jsonl", "turk_test.jsonl")


def nlrx_golds(*names: str) -> list[str]:
    folder = resolve_data_dir(None)
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        pytest.skip(f"NL-RX data not found in {folder} (set $JEPA_BENCH_DATA_DIR): missing {', '.join(missing)}")
    golds: dict[str, None] = {}
    for name in names:
        with (folder / name).open() as f:
            for line in f:
                golds[json.loads(line)["messages"][2]["content"]] = None
    return list(golds)


def test_every_gold_parses():
    golds = nlrx_golds(*NLRX_FILES)
    assert len(golds) > 9000
    for gold in golds:
        parse(gold)


def test_gold_automata_match_greenery_operations():
    # greenery's own operations need seconds to minutes for some golds with {4,} and more: not those
    golds = [g for g in nlrx_golds("synth_test.jsonl") if not any(f"{{{n}," in g for n in range(4, 10))]
    for gold in random.Random(0).sample(golds, 40):
        assert greenery_fsm(parse(gold)).equivalent(to_fsm(parse(gold))), gold


def test_every_gold_equals_itself_through_the_automata():
    # all distinct golds of synth and turk, train and test; "(gold)" avoids the identical-string shortcut
    golds = nlrx_golds(*NLRX_FILES)
    wrong = [g for g in golds if not equivalent_fsm(g, f"({g})")]
    assert not wrong, wrong[:5]


def test_golds_equal_themselves_through_the_worker():
    golds = nlrx_golds("synth_test.jsonl", "turk_test.jsonl")
    sample = random.Random(0).sample(golds, 100)
    verdicts = [dfa_equivalent(gold, f"({gold})", timeout=10.0) for gold in sample]  # not the string shortcut
    assert all(v.correct in (True, None) for v in verdicts), [v for v in verdicts if v.correct is False]
    assert sum(v.correct is None for v in verdicts) <= 2
