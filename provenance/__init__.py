"""provenance: trace where a news story came from.

The Python API in one call (docs/api.md)::

    import provenance
    result = provenance.trace(["seeds/", "https://example.org/story", {"text": "..."}])
    result.edges          # the lineage forest: Edge(parent, child, kind, confidence, evidence)
    result.to_json()      # the `trace --json` contract, as a dict
    result.to_networkx()  # a networkx DiGraph (articles and outlets; parent -> child)
    result.to_pandas()    # DataFrames per table (needs pandas)
    result.export("csv", "out/")  # or parquet, jsonl, graphml, gexf, dot

Names are loaded on first use, so ``import provenance`` stays cheap (the command line
starts its language model before the heavy imports).
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "Article",
    "Attribution",
    "Edge",
    "InputError",
    "Match",
    "Outlet",
    "Store",
    "TraceResult",
    "trace",
]

_WHERE = {
    "trace": "pipeline",
    "TraceResult": "pipeline",
    "Store": "store",
    "Article": "models",
    "Attribution": "models",
    "Edge": "models",
    "InputError": "models",
    "Match": "models",
    "Outlet": "models",
}


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'provenance' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"provenance.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
