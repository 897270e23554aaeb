"""Membership of candidate (query row, key id) pairs in a small set of pairs, vectorised."""

from __future__ import annotations

import numpy as np


def pairs_among(
    q_rows: np.ndarray, k_ids: np.ndarray, rows: np.ndarray, keys: np.ndarray, n_keys: int
) -> np.ndarray:
    """Per pair ``(q_rows[i], k_ids[i])``: whether it is one of the pairs ``(rows, keys)``.

    Why not np.isin: it sorts the long side (every candidate pair of a batch, hundreds of
    thousands) on every call, where the set asked about (pairs with the same letters, pairs
    sharing an identifier) is a few hundred. Here the short side is sorted once and each
    candidate costs one binary search."""
    if len(rows) == 0 or len(q_rows) == 0:
        return np.zeros(len(q_rows), dtype=bool)
    codes = np.sort(rows.astype(np.int64) * n_keys + keys.astype(np.int64))
    wanted = q_rows.astype(np.int64) * n_keys + k_ids.astype(np.int64)
    at = np.minimum(np.searchsorted(codes, wanted), len(codes) - 1)
    return codes[at] == wanted
