"""Lemma modules, grouped by paper. Each module registers its lemma on import."""
