"""The run's party-key cache (Arrow arrays, not a dict): the same keys as normalising each name,
whether the keys were computed here or handed in by the matching processes."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from dualuse_kit.sample import generate_trade_records
from screening.geo import chains
from screening.geo.chains import party_keys, remember_party_key_arrays, remember_party_keys
from screening.lists import load_bundled_lists
from screening.names import normalise_name


@pytest.fixture()
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> chains._PartyKeyCache:
    cache = chains._PartyKeyCache()
    monkeypatch.setattr(chains, "_KEY_CACHE", cache)
    return cache


@pytest.fixture(scope="module")
def names() -> pa.ChunkedArray:
    """Party names of a generated input (listed names, variants, Cyrillic, blanks)."""
    table = generate_trade_records(3_000, seed=11, list_table=load_bundled_lists())
    return pa.chunked_array(
        [table["EXPORTER_NAME"].combine_chunks(), table["IMPORTER_NAME"].combine_chunks()]
    )


def _expected(values: list[str | None]) -> list[str | None]:
    return [normalise_name(n).key or None if n is not None else None for n in values]


def test_keys_are_the_normalised_keys(fresh_cache, names):
    values = names.to_pylist()
    assert party_keys(names).tolist() == _expected(values)
    assert len(fresh_cache) == len(pc.unique(names.drop_null()))
    # asked again (now from the cache), with nulls and unseen names mixed in
    again = [None, *values[:50], "ООО НОВАЯ КОМПАНИЯ", None]
    assert party_keys(again).tolist() == _expected(again)


def test_remembered_keys_are_used_not_recomputed(fresh_cache):
    remember_party_keys({"ACME GMBH": "remembered-acme", "NOBODY": None})
    remember_party_key_arrays(pa.array(["ACME GMBH", "OOO VEKTOR"]), pa.array(["again", "vk"]))
    keys = party_keys(["OOO VEKTOR", "ACME GMBH", "NOBODY", "ACME GMBH", "SKF AB"])
    # the last key handed in for a name wins; a name without a key stays without one
    assert keys.tolist() == ["vk", "again", None, "again",
                             normalise_name("SKF AB").key]  # fmt: skip
    assert len(fresh_cache) == 4  # the name handed in twice is held once


def test_cache_starts_again_beyond_its_limit(fresh_cache, monkeypatch, names):
    monkeypatch.setattr(chains, "KEY_CACHE_LIMIT", 100)
    values = names.to_pylist()[:400]
    remember_party_keys({n: "stale" for n in values[:90] if n})
    # more unknown names than the limit leaves room for: the cache is emptied and refilled
    # with this call's names, none of which may come back without its key
    assert party_keys(values).tolist() == _expected(values)


def test_names_handed_in_twice_count_once_against_the_limit(fresh_cache, monkeypatch):
    monkeypatch.setattr(chains, "KEY_CACHE_LIMIT", 10)
    for _ in range(4):  # one name per country, in every matching job
        remember_party_keys({f"NAME {i}": f"key {i}" for i in range(4)})
    remember_party_keys({"NAME 9": "key 9"})
    # 5 distinct names, under the limit: not emptied, so no key is normalised again here
    assert party_keys(["NAME 0", "NAME 9"]).tolist() == ["key 0", "key 9"]
    assert len(fresh_cache) == 5
