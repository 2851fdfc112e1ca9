"""A file's (context + continuation) token sequences as one prefix tree (a radix tree).

Each sequence is fed to the model as context + continuation[:-1]; the continuation's tokens are
read (their log-probabilities gathered) at the positions that predict them. Inserting every fed
sequence into one trie means each distinct prefix is computed once: a shared few-shot or
instruction prefix, a prompt shared by all its classes, the common first tokens of classes.

`Node.edge` is a run of tokens (radix compression); `Node.reads[i]` lists what is read from the
hidden state after `edge[i]`: (request index, target token id). The tree minimum — every distinct
prefix once, the last token of each continuation excluded since it is only read — is the number
of tokens over all edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Node:
    edge: list[int] = field(default_factory=list)
    reads: list[list[tuple[int, int]]] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    def subtree_tokens(self) -> int:
        total, stack = 0, [self]
        while stack:
            n = stack.pop()
            total += len(n.edge)
            stack.extend(n.children)
        return total


def build_tree(pairs: Sequence[tuple[Sequence[int], Sequence[int]]], *, share: bool = True) -> Node:
    """The radix tree of `pairs` (context ids, continuation ids); the root has an empty edge.

    With share=False every pair gets its own root child (no prefix sharing: one row, one pass).
    """
    root = Node()
    if not share:
        for r, (ctx, cont) in enumerate(pairs):
            fed = list(ctx) + list(cont[:-1])
            reads: list[list[tuple[int, int]]] = [[] for _ in fed]
            for j, tok in enumerate(cont):
                reads[len(ctx) - 1 + j].append((r, tok))
            root.children.append(Node(fed, reads, []))
        return root

    # plain trie first: node = [children dict, reads list]
    troot: list = [{}, []]
    for r, (ctx, cont) in enumerate(pairs):
        seq = list(ctx) + list(cont)
        n_ctx = len(ctx)
        node = troot
        for p in range(len(seq) - 1):
            tok = seq[p]
            nxt = node[0].get(tok)
            if nxt is None:
                nxt = [{}, []]
                node[0][tok] = nxt
            node = nxt
            if p + 1 >= n_ctx:
                node[1].append((r, seq[p + 1]))

    # radix compression (iterative)
    def compress(first_tok, tnode) -> Node:
        edge, reads = [first_tok], [tnode[1]]
        while len(tnode[0]) == 1:
            (tok, child), = tnode[0].items()
            edge.append(tok)
            reads.append(child[1])
            tnode = child
        out = Node(edge, reads, [])
        out._pending = list(tnode[0].items())  # type: ignore[attr-defined]
        return out

    stack = []
    for tok, child in troot[0].items():
        n = compress(tok, child)
        root.children.append(n)
        stack.append(n)
    while stack:
        n = stack.pop()
        for tok, child in n._pending:  # type: ignore[attr-defined]
            c = compress(tok, child)
            n.children.append(c)
            stack.append(c)
        del n._pending  # type: ignore[attr-defined]
    return root


def tree_minimum(pairs: Sequence[tuple[Sequence[int], Sequence[int]]]) -> int:
    """Tokens a perfect prefix cache feeds: the number of distinct prefixes of the fed sequences."""
    return build_tree(pairs).subtree_tokens()


def naive_tokens(pairs: Sequence[tuple[Sequence[int], Sequence[int]]]) -> int:
    """Tokens fed when each pair is run on its own: context + continuation[:-1] per pair."""
    return sum(len(c) + len(k) - 1 for c, k in pairs)
