"""The shape of a tsquery, read from PostgreSQL's own text of it: what indexes can answer before the vectors are read.

Two facts decide the plan (selectors.document_search):

- negation only (`-word`, `-a -b`, `-"a b"`): no index can find what a document lacks, but a document that matches
  such a query also matches by its title alone (the title's lexemes are a subset of the document's), so every match
  is in the title tier, and the newest ones are found by walking the date index;
- the adjacent pairs a match must contain (`"a b"`, `data-system`): a phrase is checked on positions, which only the
  full vector holds, but the pair index (models.PairVector) says which documents have those words side by side.

Anything this module cannot read gives the shape of a plain query (no pairs, not negation-only), which is always
correct, only slower.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# PostgreSQL's output (tsqueryout): quoted lexemes ('' for a quote, \\ for a backslash) with an optional :* and
# weights, the operators ! & | <-> <N>, and parentheses.
_TOKEN = re.compile(r"\s*(?:'((?:[^'\\]|''|\\.)*)'(:[*A-Da-d]+)?|(<->|<\d+>|&|\||!|\(|\)))")
_UNESCAPE = re.compile(r"''|\\(.)")
# Binding strength of the binary operators, as in PostgreSQL's parser (! binds tighter than all of them).
_PRIORITY = {"|": 1, "&": 2, "phrase": 3}


@dataclass(frozen=True)
class Lexeme:
    text: str
    modified: bool  # a prefix (:*) or weights: its pairs cannot be looked up whole


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Binary:
    operator: str  # "&", "|" or "phrase"
    left: Node
    right: Node
    distance: int = 0  # of a phrase: <-> is 1, <N> is N


Node = Lexeme | Not | Binary


@dataclass(frozen=True)
class QueryShape:
    negation_only: bool = False
    # "a b" for each pair of lexemes that must stand side by side in every matching document.
    pairs: tuple[str, ...] = ()


def query_shape(text: str) -> QueryShape:
    """The shape of the tsquery whose text PostgreSQL printed (`websearch_to_tsquery(...)::text`)."""
    tree = parse(text)
    if tree is None:
        return QueryShape()
    return QueryShape(negation_only=_negation_only(tree), pairs=tuple(dict.fromkeys(_pairs(tree))))


def parse(text: str) -> Node | None:
    """The tree of a tsquery's text, or None for an empty query or text this reader does not follow."""
    tokens = _tokens(text)
    if not tokens:
        return None
    parser = _Parser(tokens)
    try:
        tree = parser.expression(0)
    except (IndexError, ValueError):
        return None
    return tree if parser.at_end() else None


def _tokens(text: str) -> list[object] | None:
    tokens: list[object] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            if text[position:].strip():
                return None
            break
        position = match.end()
        if match.group(3) is not None:
            tokens.append(match.group(3))
        else:
            unescaped = _UNESCAPE.sub(lambda found: found.group(1) or "'", match.group(1))
            tokens.append(Lexeme(unescaped, modified=match.group(2) is not None))
    return tokens


class _Parser:
    """Precedence climbing; binary operators associate to the left, as PostgreSQL reads and prints them."""

    def __init__(self, tokens: list[object]) -> None:
        self.tokens, self.index = tokens, 0

    def at_end(self) -> bool:
        return self.index == len(self.tokens)

    def expression(self, floor: int) -> Node:
        left = self.operand()
        while not self.at_end():
            operator, distance = _operator(self.tokens[self.index])
            if operator is None or _PRIORITY[operator] <= floor:
                break
            self.index += 1
            left = Binary(operator, left, self.expression(_PRIORITY[operator]), distance)
        return left

    def operand(self) -> Node:
        token = self.tokens[self.index]
        self.index += 1
        if isinstance(token, Lexeme):
            return token
        if token == "!":
            return Not(self.operand())
        if token == "(":
            inner = self.expression(0)
            if self.tokens[self.index] != ")":
                raise ValueError("unbalanced parenthesis")
            self.index += 1
            return inner
        raise ValueError(f"unexpected {token!r}")


def _operator(token: object) -> tuple[str | None, int]:
    if token in ("&", "|"):
        return str(token), 0
    if isinstance(token, str) and token.startswith("<") and token != "<":
        return "phrase", 1 if token == "<->" else int(token[1:-1])
    return None, 0


def _monotone(node: Node) -> bool:
    """More lexemes (at the same positions) never turn a match into a miss."""
    if isinstance(node, Lexeme):
        return True
    if isinstance(node, Not):
        return False
    return _monotone(node.left) and _monotone(node.right)


def _negation_only(node: Node) -> bool:
    """Negations of monotone queries, joined by & and |: more lexemes never turn a miss into a match."""
    if isinstance(node, Not):
        return _monotone(node.operand)
    if isinstance(node, Binary) and node.operator in ("&", "|"):
        return _negation_only(node.left) and _negation_only(node.right)
    return False


def _pairs(node: Node) -> list[str]:
    """Pairs every match needs: those of each side of an &, and the <-> links of a chain of plain lexemes."""
    if isinstance(node, Binary) and node.operator == "&":
        return _pairs(node.left) + _pairs(node.right)
    chain = _chain(node)
    if chain is None:
        return []
    return [f"{before.text} {after.text}" for (before, _), (after, distance) in zip(chain, chain[1:], strict=False)
            if distance == 1]


def _chain(node: Node) -> list[tuple[Lexeme, int]] | None:
    """'a' <-> 'b' <2> 'c' as [(a, 0), (b, 1), (c, 2)]: each lexeme with its distance from the one before."""
    if isinstance(node, Lexeme):
        return None if node.modified else [(node, 0)]
    if not (isinstance(node, Binary) and node.operator == "phrase" and isinstance(node.right, Lexeme)):
        return None
    left = _chain(node.left)
    if left is None or node.right.modified:
        return None
    return [*left, (node.right, node.distance)]
