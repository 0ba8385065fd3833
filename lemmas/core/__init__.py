"""The numerical core: networks, Gram matrices, data. It knows nothing of lemmas."""
