"""Lineage's branching runs per weakly connected component: the same edges as over the whole graph."""
from __future__ import annotations

import random

import networkx as nx

from provenance.lineage import _maximum_branching


def test_branching_per_component_weighs_as_much_as_over_the_whole_graph():
    rng = random.Random(5)
    for trial in range(20):
        graph = nx.DiGraph()
        for _ in range(60):
            # Several small clusters of articles, with cycles and competing parents.
            cluster = rng.randrange(8)
            a, b = (f"{cluster}:{rng.randrange(6)}" for _ in range(2))
            if a != b:
                graph.add_edge(a, b, weight=rng.choice([0.5, 0.9, 1.5]))  # many ties
        ours = _maximum_branching(graph)
        whole = nx.maximum_branching(graph, attr="weight")
        weight = lambda edges: round(sum(graph.edges[e]["weight"] for e in edges), 6)  # noqa: E731
        assert weight(ours) == weight(whole.edges()), trial
        # Ties between equal-weight branchings are broken as over the whole graph.
        assert sorted(ours) == sorted(whole.edges()), trial
        children = [child for _, child in ours]
        assert len(children) == len(set(children))  # one parent each
        assert nx.is_forest(nx.DiGraph(ours)) if ours else True
