"""The snapshot store and how lists get into it: the catalogue of official sources, download,
refresh, local import, snapshots, diffs, and the copies bundled in reference_lists/."""
