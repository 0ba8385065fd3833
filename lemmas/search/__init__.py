"""Worst-case searches: adversarial weights inside the regions where a lemma claims "for all W".

A "for all W in the ball" claim is checked from both sides: a search constructs explicit weights that
push the quantity as far as it can (a lower bound on the supremum, and a counterexample when it crosses the
claimed bound), and a certified bound from the proof caps the supremum from above.

* :mod:`lemmas.search.gram_flips`: the two-layer Gram matrix H(W) under activation flips inside per-neuron
  balls ‖w_r − w_r(0)‖ ≤ R, updated at the cost of the flips (O(n) per flipped pair, not O(m)), with a
  warm-started λ_min and a greedy search with restarts over explicit weights.
"""
