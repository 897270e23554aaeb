"""Risk scoring."""
