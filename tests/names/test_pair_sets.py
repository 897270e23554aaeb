"""pairs_among agrees with np.isin on the pairs' codes, including empty sides and repeats."""

from __future__ import annotations

import numpy as np

from screening.names.pair_sets import pairs_among


def test_pairs_among_agrees_with_isin_on_random_pairs() -> None:
    rng = np.random.default_rng(7)
    for _ in range(300):
        n, m, n_keys = int(rng.integers(0, 60)), int(rng.integers(0, 12)), 9
        q_rows, k_ids = rng.integers(0, 6, n), rng.integers(0, n_keys, n)
        rows, keys = rng.integers(0, 6, m), rng.integers(0, n_keys, m)
        expected = np.isin(q_rows * n_keys + k_ids, rows * n_keys + keys)
        assert pairs_among(q_rows, k_ids, rows, keys, n_keys).tolist() == expected.tolist()


def test_the_same_key_id_in_another_row_is_not_the_pair() -> None:
    found = pairs_among(
        np.array([0, 1, 1]), np.array([5, 5, 4]), np.array([1]), np.array([5]), n_keys=10
    )
    assert found.tolist() == [False, True, False]
