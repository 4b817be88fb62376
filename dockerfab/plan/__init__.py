"""Planning (pure): host snapshots, comparisons that yield reasons, and ordered action plans."""
