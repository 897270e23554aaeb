"""Prefect flows: thin orchestration over the screening library."""
