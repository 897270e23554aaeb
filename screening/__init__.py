"""Dual-use export screening: CHPL HS codes, listed parties and Russia-bound routes in trade data."""
