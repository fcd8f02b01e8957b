"""Semantic equivalence of NL-RX regular expressions, in the dk.brics.automaton grammar.

NL-RX (deep-regex) scored a prediction as right when it denotes the same language as the gold regex,
decided by the brics Java library (regexDFAEquals.py + regex_dfa_equals.jar). This module does the same
in Python: a recursive-descent parser for the brics grammar builds a small AST, `to_fsm` turns it into a
greenery 4.x `Fsm` (a complete DFA), and two DFAs are equivalent when no reachable pair of states in
their product disagrees on acceptance.

The brics grammar, by precedence, lowest first (what `RegExp(String)` accepts with all syntax flags on,
the default):

    union         a|b
    intersection  a&b
    concatenation ab
    postfix       a*  a+  a?  a{n}  a{n,}  a{n,m}      (repeatable: a*{2})
    prefix        ~a                 (complement: every string not in a; binds tighter than
                                        postfix, so `~a*` is `(~a)*`)
    atoms         [abc] [a-z] [^a-z]  .  ()  (a)  \\c  "literal text"  #  @  <n-m>  c

Points where brics differs from Perl/Python regexes, all kept here on purpose:
* a backslash escapes exactly one character and makes it a literal: `\\b` is the letter b (not a word
  boundary), `\\d` the letter d. The NL-RX golds use `\\b` and expect exactly this.
* any character that cannot start anything else is a literal where an atom is expected: `*a` is the two
  characters "*a", `a||b` is a or "|b". Whitespace is a literal too (deep-regex removed spaces before
  calling the jar; stripping is the caller's business, and the golds contain none).
* `#` is the empty language, `@` any string, `"..."` a literal string, `<n-m>` the decimal numerals
  with a value in [n, m] (fixed width when n and m are written with the same number of digits);
  `<name>` (a named automaton) has no definition in the jar, so brics fails on it and so do we.
* matching is whole-string; there are no anchors, lazy quantifiers or captures.
* the alphabet is Java's `char` (UTF-16 code units): the input is read as code units, and `.`, `[^...]`
  and `~` range over code units. greenery ranges over all Unicode code points; see `_charclass` for how
  the two are made to agree exactly.

`dfa_equivalent` is the scorer's entry point. The golds take milliseconds each, but a prediction can
need exponentially many states (`.*a.{40}`) or a huge count (`a{100000}`), so the work runs in a worker
process that is killed when its time budget runs out; the verdict is then undecided. `equivalent_fsm`
is the same decision in-process and without a budget, for tests and reference.

The jar's source was never published; it is assumed to call `new RegExp(s)` (all syntax flags, the
default) and `Automaton.equals`, which is what the grammar above and the verdicts here follow.
"""
from __future__ import annotations

import atexit
import functools
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # greenery is imported only where automata are built (the worker, tests)
    from greenery import Charclass, Fsm

    from tasks.base import Verdict

MAX_LENGTH = 1000  # characters (UTF-16 code units); the golds are at most 54, bad outputs can be huge
MAX_DEPTH = 100  # nesting of groups and `~` (each costs ~8 Python frames to parse), and AST depth;
#                 the golds nest at most 3 groups and 6 AST levels deep
MAX_JAVA_INT = 2**31 - 1  # brics reads counts and interval bounds with Integer.parseInt
LAST_CODE_UNIT = 0xFFFF  # Java's char; greenery's alphabet goes on to 0x10FFFF (see _charclass)


class BricsSyntaxError(ValueError):
    """The text is not a brics regular expression; the message names the position and the problem."""


# ---------------------------------------------------------------------------------------------------
# AST. Groups leave no trace: `(a)` parses to the same node as `a`, so equal trees mean equal structure.
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Chars:
    """One character out of a set, given as sorted, disjoint, inclusive code-unit ranges.
    A literal, a class, `.` and `[^...]` are all this; no ranges at all is the empty language (`#`)."""

    ranges: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Concat:
    """The parts one after another; no parts is the empty string (`()`)."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Union:
    """Strings any part matches (two or more parts: `a|b|c` is flat, so long lists are not deep)."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Inter:
    """Strings every part matches (two or more parts)."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Complement:
    """Every string (over the whole alphabet) that `inner` does not match."""

    inner: Node


@dataclass(frozen=True)
class Repeat:
    """`inner` between `low` and `high` times; high None = unbounded (`*` is 0..None, `?` is 0..1)."""

    inner: Node
    low: int
    high: int | None


Node = Chars | Concat | Union | Inter | Complement | Repeat  # the AST


ANY_CHAR = Chars(((0, LAST_CODE_UNIT),))  # `.`
EMPTY_STRING = Concat(())  # `()`
EMPTY_LANGUAGE = Chars(())  # `#`


def literal(text: str) -> Chars | Concat:
    """The node matching exactly `text` (one Chars per code unit)."""
    parts = tuple(Chars(((ord(c), ord(c)),)) for c in text)
    return parts[0] if len(parts) == 1 else Concat(parts)


# ---------------------------------------------------------------------------------------------------
# Parser: brics' RegExp.parse* functions, one method each, with iteration where brics recurses to the
# right (union, intersection and concatenation are associative, so the language is the same).
# ---------------------------------------------------------------------------------------------------

def parse(regex: str) -> Node:
    """The AST of a brics regular expression; raises BricsSyntaxError (never anything else)."""
    if not isinstance(regex, str):
        raise BricsSyntaxError(f"expected a string, got {type(regex).__name__}")
    units = _utf16_units(regex)
    if len(units) > MAX_LENGTH:
        raise BricsSyntaxError(f"regex of {len(units)} characters is longer than the limit of {MAX_LENGTH}")
    if not units:  # brics: RegExp("") is the empty string
        return EMPTY_STRING
    try:
        node = _Parser(units).parse()
    except RecursionError:  # only when the caller's own stack is already deep
        raise BricsSyntaxError("regex nests too deeply for the parser") from None
    depth = _depth(node)
    if depth > MAX_DEPTH:
        raise BricsSyntaxError(f"regex nests {depth} levels deep, more than the limit of {MAX_DEPTH}")
    return node


def _utf16_units(text: str) -> str:
    """`text` as Java sees it: one character per UTF-16 code unit (a character outside the BMP becomes
    its surrogate pair, so `.` matches half of it, as in brics). Lone surrogates pass through."""
    if all(ord(c) <= LAST_CODE_UNIT for c in text):
        return text
    data = text.encode("utf-16-le", "surrogatepass")
    return "".join(chr(int.from_bytes(data[i:i + 2], "little")) for i in range(0, len(data), 2))


def _depth(node: Node) -> int:
    """Nesting depth of the tree, without recursion (a deep tree is what this guards against)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in _children(current))
    return deepest


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, (Concat, Union, Inter)):
        return node.parts
    if isinstance(node, (Complement, Repeat)):
        return (node.inner,)
    return ()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.nesting = 0  # open groups and complements: bounds the parser's own recursion

    # -- helpers, named as in brics ----------------------------------------------------------------

    def error(self, problem: str, pos: int | None = None) -> BricsSyntaxError:
        at = self.pos if pos is None else pos
        return BricsSyntaxError(f"position {at}: {problem} in {_preview(self.text)}")

    def more(self) -> bool:
        return self.pos < len(self.text)

    def peek(self, chars: str) -> bool:
        return self.more() and self.text[self.pos] in chars

    def match(self, char: str) -> bool:
        if self.peek(char):
            self.pos += 1
            return True
        return False

    def next(self) -> str:
        if not self.more():
            raise self.error("unexpected end of string")
        self.pos += 1
        return self.text[self.pos - 1]

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise self.error(f"nesting deeper than the limit of {MAX_DEPTH}")

    # -- grammar -------------------------------------------------------------------------------------

    def parse(self) -> Node:
        node = self.union()
        if self.more():  # only a stray ')' can stop the top-level union early
            raise self.error(f"end of string expected, found {self.text[self.pos]!r}")
        return node

    def union(self) -> Node:
        parts = [self.inter()]
        while self.match("|"):
            parts.append(self.inter())
        return parts[0] if len(parts) == 1 else Union(tuple(parts))

    def inter(self) -> Node:
        parts = [self.concat()]
        while self.match("&"):
            parts.append(self.concat())
        return parts[0] if len(parts) == 1 else Inter(tuple(parts))

    def concat(self) -> Node:
        parts = [self.repeat()]
        while self.more() and not self.peek(")|&"):
            parts.append(self.repeat())
        return parts[0] if len(parts) == 1 else Concat(tuple(parts))

    def repeat(self) -> Node:
        node = self.complement()
        while self.peek("?*+{"):
            op = self.next()
            if op == "?":
                node = Repeat(node, 0, 1)
            elif op == "*":
                node = Repeat(node, 0, None)
            elif op == "+":
                node = Repeat(node, 1, None)
            else:
                node = self.braces(node)
        return node

    def braces(self, node: Node) -> Node:
        """After `{`: `n}`, `n,}` or `n,m}`."""
        low = self.integer()
        high: int | None = low
        if self.match(","):
            high = self.integer() if self.peek("0123456789") else None
        if not self.match("}"):
            raise self.error("expected '}'")
        return Repeat(node, low, high)

    def integer(self) -> int:
        start = self.pos
        while self.peek("0123456789"):
            self.pos += 1
        if start == self.pos:
            raise self.error("integer expected")
        value = int(self.text[start:self.pos])
        if value > MAX_JAVA_INT:
            raise self.error(f"integer {value} does not fit a Java int", start)
        return value

    def complement(self) -> Node:
        if self.match("~"):
            self.enter()
            node = Complement(self.complement())
            self.nesting -= 1
            return node
        return self.char_class()

    def char_class(self) -> Node:
        if not self.match("["):
            return self.simple()
        negate = self.match("^")
        ranges = self.class_items()
        if not self.match("]"):
            raise self.error("expected ']'")
        if negate:  # brics: `. & ~[...]`, one character outside the set
            ranges = _complement_ranges(ranges)
        return Chars(ranges)

    def class_items(self) -> tuple[tuple[int, int], ...]:
        """One or more items up to `]` (a first `]` is an item: `[]a]`)."""
        ranges = [self.class_item()]
        while self.more() and not self.peek("]"):
            ranges.append(self.class_item())
        # a reversed range (`[z-a]`) matches nothing in brics (makeCharRange), so it drops out here
        return _normalise([r for r in ranges if r[0] <= r[1]])

    def class_item(self) -> tuple[int, int]:
        first = ord(self.char())
        if not self.match("-"):
            return (first, first)
        if self.peek("]"):  # `[a-]`: a and '-'; give '-' back to be read as the next item
            self.pos -= 1
            return (first, first)
        return (first, ord(self.char()))

    def char(self) -> str:
        """A single character, optionally escaped: `\\c` is always the literal c."""
        self.match("\\")
        return self.next()

    def simple(self) -> Node:
        if self.match("."):
            return ANY_CHAR
        if self.match("#"):
            return EMPTY_LANGUAGE
        if self.match("@"):
            return Repeat(ANY_CHAR, 0, None)
        if self.match('"'):
            return self.quoted()
        if self.match("("):
            return self.group()
        if self.match("<"):
            return self.angle()
        return literal(self.char())

    def quoted(self) -> Node:
        """After `"`: literal text up to the next `"` (no escapes inside)."""
        end = self.text.find('"', self.pos)
        if end < 0:
            raise self.error("expected '\"'", len(self.text))
        text, self.pos = self.text[self.pos:end], end + 1
        return literal(text)

    def group(self) -> Node:
        """After `(`: `)` is the empty string, else a union and `)`."""
        if self.match(")"):
            return EMPTY_STRING
        self.enter()
        node = self.union()
        self.nesting -= 1
        if not self.match(")"):
            raise self.error("expected ')'")
        return node

    def angle(self) -> Node:
        """After `<`: `n-m` is a numeric interval; anything else names an automaton brics cannot find."""
        start = self.pos
        end = self.text.find(">", start)
        if end < 0:
            raise self.error("expected '>'", len(self.text))
        body, self.pos = self.text[start:end], end + 1
        low, sep, high = body.partition("-")
        if not sep:
            raise self.error(f"named automaton <{body}> is not defined", start - 1)
        if not (low.isascii() and low.isdigit() and high.isascii() and high.isdigit()):
            raise self.error(f"interval syntax error in <{body}>", start - 1)
        lo, hi = int(low), int(high)
        if max(lo, hi) > MAX_JAVA_INT:
            raise self.error(f"interval bound in <{body}> does not fit a Java int", start - 1)
        width = len(low) if len(low) == len(high) else 0
        return interval(min(lo, hi), max(lo, hi), width)


def _preview(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _normalise(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Sorted, disjoint, non-adjacent ranges covering the same code units."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _complement_ranges(ranges: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    """The code units 0..FFFF not in `ranges` (which are normalised)."""
    out, nxt = [], 0
    for lo, hi in ranges:
        if nxt < lo:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= LAST_CODE_UNIT:
        out.append((nxt, LAST_CODE_UNIT))
    return tuple(out)


# ---------------------------------------------------------------------------------------------------
# Numeric intervals `<n-m>` (BasicAutomata.makeInterval), desugared into ordinary nodes.
# ---------------------------------------------------------------------------------------------------

DIGIT = Chars(((ord("0"), ord("9")),))


def interval(low: int, high: int, width: int) -> Node:
    """Decimal numerals with a value in [low, high]: exactly `width` digits (zero-padded) when width > 0,
    else any number of digits, leading zeros allowed. (low <= high.)"""
    if width > 0:
        return _fixed_width(str(low).zfill(width), str(high).zfill(width))
    # Free width: a numeral of at least len(high) digits is zeros then a len(high)-digit one; a shorter
    # one is a zero-padded numeral of its own length, whose largest value is 10**k - 1.
    top = len(str(high))
    parts: list[Node] = [Concat((Repeat(literal("0"), 0, None), _fixed_width(str(low).zfill(top), str(high))))]
    parts += [_fixed_width(str(low).zfill(k), "9" * k) for k in range(1, top) if low <= 10**k - 1]
    return parts[0] if len(parts) == 1 else Union(tuple(parts))


def _fixed_width(low: str, high: str) -> Node:
    """Digit strings of len(low) == len(high) characters between low and high (as numbers)."""
    if not low:
        return EMPTY_STRING
    rest = len(low) - 1
    if rest == 0:
        return Chars(((ord(low), ord(high)),))
    if low[0] == high[0]:
        return _then(literal(low[0]), _fixed_width(low[1:], high[1:]))
    parts = [_then(literal(low[0]), _fixed_width(low[1:], "9" * rest)),
             _then(literal(high[0]), _fixed_width("0" * rest, high[1:]))]
    if int(high[0]) - int(low[0]) > 1:  # whole decades in between
        middle = Chars(((ord(low[0]) + 1, ord(high[0]) - 1),))
        parts.append(_then(middle, Repeat(DIGIT, rest, rest)))
    return Union(tuple(parts))


def _then(first: Node, second: Node) -> Node:
    return first if second == EMPTY_STRING else Concat((first, second))


# ---------------------------------------------------------------------------------------------------
# Automata. Every DFA here is complete and its alphabet is a partition of all characters into greenery
# Charclasses, so complement (`~`) is relative to all strings and `.` to all characters.
#
# greenery's own Fsm operations are correct but slow: transitions are keyed by Charclass, hashed in
# Python on every step, and each result is minimised by double reversal (Brzozowski), whose reversal
# step is quadratic in the states. `((dog.*truck.*)|([AEIOUaeiou])){4,}` took 19 s that way, almost all
# of it in minimisation; it takes 10 ms below. So the constructions below are greenery's (subset construction for
# concatenation and star, product for union, intersection and equivalence, final-state flip for
# complement) run on integer tables, with Moore's partition refinement to minimise; greenery still
# supplies the character classes, the alphabet repartition and the Fsm that `to_fsm` returns. The tests
# check these constructions against greenery's own operations.
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dfa:
    """A complete DFA as plain tables; state 0 is the initial state and every state is reachable."""

    symbols: tuple[Charclass, ...]  # disjoint, together every character
    rows: tuple[tuple[int, ...], ...]  # rows[state][i]: the next state on a character in symbols[i]
    finals: frozenset[int]

    def accepts(self, text: str) -> bool:
        """Whether the DFA accepts `text` (read as Java code units, as the regex was)."""
        state = 0
        for char in _utf16_units(text):
            state = self.rows[state][next(i for i, cc in enumerate(self.symbols) if cc.accepts(char))]
        return state in self.finals

    def to_fsm(self) -> Fsm:
        from greenery import Fsm

        return Fsm(alphabet=self.symbols, states=range(len(self.rows)), initial=0, finals=self.finals,
                   map={s: dict(zip(self.symbols, row)) for s, row in enumerate(self.rows)})


def _charclass(ranges: tuple[tuple[int, int], ...]) -> Charclass:
    """The greenery Charclass for a non-empty set of Java code units.

    greenery's characters are code points 0..10FFFF, brics' are code units 0..FFFF. Every set built here
    holds U+FFFF together with all of 10000..10FFFF or none of them, so that block acts as one character
    and the two alphabets are isomorphic: `.`, `[^a]` and `~` mean the same in both. Sets that hold the
    top are written negated (`~Charclass(what is missing)`), greenery's own form for `.` and `[^a]`."""
    from greenery import Charclass

    if ranges[-1][1] == LAST_CODE_UNIT:
        return ~Charclass(tuple((chr(lo), chr(hi)) for lo, hi in _complement_ranges(ranges)))
    return Charclass(tuple((chr(lo), chr(hi)) for lo, hi in ranges))


def _everything() -> Charclass:
    from greenery import Charclass

    return ~Charclass()


def _char_dfa(ranges: tuple[tuple[int, int], ...]) -> Dfa:
    """Exactly one character out of `ranges`: states 0 (start), 1 (accept), 2 (dead)."""
    if not ranges:  # the empty language: a single dead state
        return Dfa((_everything(),), ((0,),), frozenset())
    cc = _charclass(ranges)
    rest = ~cc
    if rest.num_chars() == 0:  # every character: a one-symbol alphabet
        return Dfa((cc,), ((1,), (2,), (2,)), frozenset({1}))
    return Dfa((cc, rest), ((1, 2), (2, 2), (2, 2)), frozenset({1}))


def _epsilon_dfa() -> Dfa:
    return Dfa((_everything(),), ((1,), (1,)), frozenset({0}))


def _unify(a: Dfa, b: Dfa) -> tuple[tuple, tuple, tuple]:
    """A common alphabet for two DFAs (pieces that refine both partitions) and each one's rows over it."""
    if a.symbols == b.symbols:
        return a.symbols, a.rows, b.rows
    from greenery.charclass import repartition

    pieces_of = repartition(set(a.symbols) | set(b.symbols))  # old symbol -> the new pieces inside it
    pieces = sorted({p for ps in pieces_of.values() for p in ps if p.num_chars() > 0},
                    key=lambda cc: (cc.negated, cc.ord_ranges))

    def columns(dfa: Dfa) -> list[int]:  # for each piece, the index of the old symbol containing it
        where = {p: i for i, cc in enumerate(dfa.symbols) for p in pieces_of[cc]}
        return [where[p] for p in pieces]

    def spread(dfa: Dfa) -> tuple[tuple[int, ...], ...]:
        cols = columns(dfa)
        return tuple(tuple(row[c] for c in cols) for row in dfa.rows)

    return tuple(pieces), spread(a), spread(b)


def _build(symbols: tuple, initial, is_final, successors) -> Dfa:
    """Explore the states reachable from `initial` (any hashable value; `successors(state)` lists the
    next state per symbol) and return the minimal DFA. greenery's crawl() with a dict for the index."""
    index = {initial: 0}
    states, rows, finals = [initial], [], set()
    for number, state in enumerate(states):  # `states` grows while we walk it
        if is_final(state):
            finals.add(number)
        row = []
        for nxt in successors(state):
            if nxt not in index:
                index[nxt] = len(states)
                states.append(nxt)
            row.append(index[nxt])
        rows.append(tuple(row))
    return _minimise(symbols, rows, finals)


def _minimise(symbols: tuple, rows: list[tuple[int, ...]], finals: set[int]) -> Dfa:
    """Moore's algorithm: split states by acceptance, then by the blocks their successors fall in, until
    no block splits; then merge symbols that every state treats alike (smaller alphabets keep later
    products small). All states are reachable, so the result is the minimal DFA."""
    block = [int(s in finals) for s in range(len(rows))]
    count = len(set(block))
    while True:
        signatures: dict[tuple, int] = {}  # numbered in order of first state, so state 0 stays 0
        new = [signatures.setdefault((block[s], tuple(block[t] for t in row)), len(signatures))
               for s, row in enumerate(rows)]
        block, grew = new, len(signatures) > count
        count = len(signatures)
        if not grew:
            break
    merged: list[tuple[int, ...] | None] = [None] * count
    for s, row in enumerate(rows):
        merged[block[s]] = tuple(block[t] for t in row)
    return _merge_symbols(symbols, merged, frozenset(block[s] for s in finals))


def _merge_symbols(symbols: tuple, rows: list, finals: frozenset[int]) -> Dfa:
    groups: dict[tuple[int, ...], list[int]] = {}
    for i in range(len(symbols)):
        groups.setdefault(tuple(row[i] for row in rows), []).append(i)
    if len(groups) == len(symbols):
        return Dfa(tuple(symbols), tuple(rows), finals)
    keep = [members[0] for members in groups.values()]
    merged = tuple(functools.reduce(lambda x, y: x | y, (symbols[i] for i in members))
                   for members in groups.values())
    return Dfa(merged, tuple(tuple(row[i] for i in keep) for row in rows), finals)


def _live(dfa: Dfa) -> frozenset[int]:
    """States from which some final state can be reached (a minimal DFA has at most one other)."""
    live, changed = set(dfa.finals), True
    while changed:
        changed = False
        for s, row in enumerate(dfa.rows):
            if s not in live and not live.isdisjoint(row):
                live.add(s)
                changed = True
    return frozenset(live)


def _product(a: Dfa, b: Dfa, accept) -> Dfa:
    """Both DFAs run side by side; `accept(in_a, in_b)` says which pairs accept (or, and, ...)."""
    symbols, ra, rb = _unify(a, b)
    return _build(symbols, (0, 0), lambda st: accept(st[0] in a.finals, st[1] in b.finals),
                  lambda st: tuple(zip(ra[st[0]], rb[st[1]])))


def _concat(a: Dfa, b: Dfa) -> Dfa:
    """Subset construction: the state of `a` on the whole prefix, and the set of states `b` may be in
    for every split of the prefix whose first part `a` accepts. Dead states of `b` are dropped from the
    sets (they can never accept), which keeps equal sets equal."""
    symbols, ra, rb = _unify(a, b)
    live_b = _live(b)

    def state(p: int, qs: frozenset[int]) -> tuple[int, frozenset[int]]:
        return (p, qs | {0} if p in a.finals and 0 in live_b else qs)

    def successors(st):
        p, qs = st
        return tuple(state(ra[p][x], frozenset(q for q in (rb[q][x] for q in qs) if q in live_b))
                     for x in range(len(symbols)))

    return _build(symbols, state(0, frozenset()), lambda st: not b.finals.isdisjoint(st[1]), successors)


def _star(a: Dfa) -> Dfa:
    """Subset construction for a*: the states the current piece may be in; reaching a final state of
    `a` may also start a new piece. The flag marks the start, where the empty string is accepted."""
    live = _live(a)

    def restart(qs: frozenset[int]) -> frozenset[int]:
        return qs | {0} if not a.finals.isdisjoint(qs) else qs

    def successors(st):
        return tuple((False, restart(frozenset(q for q in (a.rows[q][x] for q in st[1]) if q in live)))
                     for x in range(len(a.symbols)))

    return _build(a.symbols, (True, frozenset({0}) & live), lambda st: st[0] or not a.finals.isdisjoint(st[1]),
                  successors)


def _complement(a: Dfa) -> Dfa:
    """Complete DFA: swap accepting and rejecting states (minimal stays minimal)."""
    return Dfa(a.symbols, a.rows, frozenset(range(len(a.rows))) - a.finals)


def _power(a: Dfa, n: int) -> Dfa:
    result = _epsilon_dfa()
    for _ in range(n):
        result = _concat(result, a)
    return result


def _repeat(a: Dfa, low: int, high: int | None) -> Dfa:
    """a{low,high}: low copies, then any number more (high None) or up to high - low optional ones."""
    if high is None:
        return _star(a) if low == 0 else _concat(_power(a, low), _star(a))
    if low > high:  # brics: BasicOperations.repeat(a, min, max) is then the empty language
        return _char_dfa(())
    head = _power(a, low)
    return head if low == high else _concat(head, _power(_product(a, _epsilon_dfa(), bool.__or__), high - low))


def build_dfa(node: Node) -> Dfa:
    """The minimal complete DFA of an AST."""
    if isinstance(node, Chars):
        return _char_dfa(node.ranges)
    if isinstance(node, Concat):
        return functools.reduce(_concat, map(build_dfa, node.parts)) if node.parts else _epsilon_dfa()
    if isinstance(node, Union):
        return functools.reduce(lambda a, b: _product(a, b, bool.__or__), map(build_dfa, node.parts))
    if isinstance(node, Inter):
        return functools.reduce(lambda a, b: _product(a, b, bool.__and__), map(build_dfa, node.parts))
    if isinstance(node, Complement):
        return _complement(build_dfa(node.inner))
    if isinstance(node, Repeat):
        return _repeat(build_dfa(node.inner), node.low, node.high)
    raise TypeError(f"not a brics AST node: {node!r}")


def to_fsm(node: Node) -> Fsm:
    """A minimal complete greenery Fsm accepting exactly the strings `node` matches."""
    return build_dfa(node).to_fsm()


def same_language(a: Dfa, b: Dfa) -> bool:
    """Whether two DFAs accept the same strings: walk the pairs of states reachable together and stop
    at the first pair where one accepts and the other does not (greenery's `fsm1 == fsm2` builds and
    minimises the whole symmetric difference first)."""
    _, ra, rb = _unify(a, b)
    seen, todo = {(0, 0)}, [(0, 0)]
    while todo:
        p, q = todo.pop()
        if (p in a.finals) != (q in b.finals):
            return False
        for pair in zip(ra[p], rb[q]):
            if pair not in seen:
                seen.add(pair)
                todo.append(pair)
    return True


@functools.lru_cache(maxsize=4096)
def dfa_of(regex: str) -> Dfa:
    """The DFA of a regex string, cached: golds repeat across predictions."""
    return build_dfa(parse(regex))


def equivalent_fsm(a: str, b: str) -> bool:
    """Whether two brics regexes match the same strings, decided in this process with no time limit.
    Raises BricsSyntaxError when either does not parse."""
    return same_language(dfa_of(a), dfa_of(b))


# ---------------------------------------------------------------------------------------------------
# The scorer: a worker process with a hard time budget.
#
# A check cannot be interrupted from inside (the constructions are tight Python loops), so it runs in a
# child process that is killed when its budget runs out; the next check starts a new one. The child is a
# plain `python -c` (not multiprocessing): it imports only this module and greenery, whatever the
# parent's __main__ imports (torch), and it works the same after the parent has forked. It speaks one
# JSON object per line over stdin/stdout. POSIX only (select on a pipe).
# ---------------------------------------------------------------------------------------------------

WORKER_START_TIMEOUT = 120.0  # seconds for a fresh worker to import greenery; not charged to a check
WORKER_MEMORY = 2 * 1024**3  # bytes of address space a worker may use; beyond it a check is undecided

_lock = threading.Lock()  # one check at a time talks to the worker
_worker: _Worker | None = None


def dfa_equivalent(prediction: str, gold: str, timeout: float | None = 10.0) -> Verdict:
    """Whether `prediction` denotes the same language as `gold`, within `timeout` seconds of work
    (None: no limit). Never raises: unparseable text is wrong, an exhausted budget is undecided."""
    from tasks.base import Verdict

    if prediction == gold:  # as deep-regex's regexDFAEquals.py, before any parsing
        return Verdict(True)
    for role, text in (("prediction", prediction), ("gold", gold)):
        try:
            parse(text)
        except BricsSyntaxError as e:
            return Verdict(False, f"unparseable {role}: {e}")
    correct, reason = _ask_worker(prediction, gold, timeout)
    return Verdict(correct, reason)


def _ask_worker(prediction: str, gold: str, timeout: float | None) -> tuple[bool | None, str]:
    global _worker
    request = json.dumps({"prediction": prediction, "gold": gold}).encode() + b"\n"
    with _lock:
        if _worker is None or not _worker.usable():
            if _worker is not None:
                _worker.close()
            try:
                _worker = _Worker()
            except (OSError, ValueError, subprocess.SubprocessError) as e:
                _worker = None
                return None, f"undecided: the equivalence worker did not start: {e}"
        # the clock starts once the worker is up: starting one is not part of a check
        deadline = None if timeout is None or timeout == float("inf") else time.monotonic() + timeout
        try:
            reply = _worker.ask(request, deadline)
        except BaseException:  # interrupted (Ctrl-C): its answer must not be read by the next check
            _worker.close()
            _worker = None
            raise
        if reply is not None:
            return reply["correct"], reply["reason"]
        # Overran or died: kill it (a late answer would be read as the next check's) and start afresh
        # at the next check.
        _worker.close()
        _worker = None
        if deadline is not None and time.monotonic() >= deadline:
            return None, f"undecided: no answer within {timeout} s"
        return None, "undecided: the equivalence worker died"


class _Worker:
    """One child process deciding equivalences for this (parent) process."""

    def __init__(self) -> None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the folder holding tasks/
        code = f"import sys; sys.path.insert(0, {root!r}); from tasks.brics import _serve; _serve()"
        self.owner = os.getpid()
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, close_fds=True)
        self.pending = b""
        try:
            line = self._read_line(time.monotonic() + WORKER_START_TIMEOUT)
        except BaseException:
            self.close()
            raise
        if line != b'"ready"':
            self.close()
            raise OSError(f"no greeting from the worker (exit status {self.proc.returncode})")

    def usable(self) -> bool:
        # after a fork the child process must not share its parent's worker
        return self.owner == os.getpid() and self.proc.poll() is None

    def ask(self, request: bytes, deadline: float | None) -> dict | None:
        """The worker's reply, or None when it died or the deadline passed first."""
        try:
            self.proc.stdin.write(request)
            self.proc.stdin.flush()
        except OSError:  # it died
            return None
        line = self._read_line(deadline)
        try:
            return None if line is None else json.loads(line)
        except ValueError:  # not our protocol: treat as dead
            return None

    def _read_line(self, deadline: float | None) -> bytes | None:
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.pending:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                return None
            if not select.select([fd], [], [], wait)[0]:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:  # end of file: it died
                return None
            self.pending += chunk
        line, _, self.pending = self.pending.partition(b"\n")
        return line

    def close(self) -> None:
        """Kill the process and reap it (no zombie). A forked child of the owner only drops its copies
        of the pipes: the worker is its parent's."""
        if self.owner == os.getpid():
            self.proc.kill()
            self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:  # the pipe to a dead process may fail to flush
                pass


@atexit.register
def _close_worker() -> None:
    global _worker
    locked = _lock.acquire(timeout=5)  # a check still running in another thread then just loses its worker
    try:
        if _worker is not None:
            _worker.close()
            _worker = None
    finally:
        if locked:
            _lock.release()


def _serve() -> None:
    """The worker's loop: read {"prediction", "gold"} lines, answer {"correct", "reason"} lines."""
    _limit_memory()
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it then closes us
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")  # the protocol's own channel; anything printed
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # by accident goes to stderr instead
    import greenery  # noqa: F401  (imported before the greeting, so no check pays for it)

    out.write(b'"ready"\n')
    out.flush()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        stop = False
        try:
            reply = {"correct": equivalent_fsm(request["prediction"], request["gold"]), "reason": ""}
        except MemoryError:  # a blow-up past WORKER_MEMORY: answer, then make way for a fresh process
            reply, stop = {"correct": None, "reason": "undecided: out of memory"}, True
        except Exception as e:  # noqa: BLE001 -- a bug must not cost the evaluation; the reason names it
            reply = {"correct": False, "reason": f"equivalence check failed: {type(e).__name__}: {e}"[:300]}
        out.write(json.dumps(reply).encode() + b"\n")
        out.flush()
        if stop:
            return


def _die_with_parent() -> None:
    """Linux: have the kernel kill this worker when the parent dies, even mid-check (elsewhere the
    worker ends at its next read from the closed pipe). Strictly, when the parent *thread* that started
    it ends; a later check then finds it dead and starts another."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _limit_memory() -> None:
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > WORKER_MEMORY:
            resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, hard))
    except (ImportError, ValueError, OSError):  # not POSIX, or not allowed: run without the cap
        pass
