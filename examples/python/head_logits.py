import json

import numpy as np


def head_logits(weights_file, embeddings):
    """Logits of a Vector Tune head on raw embeddings (N, D) of its model; above 0 means positive."""
    with open(weights_file) as f:
        head = json.load(f)
    x = np.asarray(embeddings, dtype=np.float64)
    if head["preprocessing"]["centre"] is not None:
        x = x - np.asarray(head["preprocessing"]["centre"])
    x = x / np.linalg.norm(x, axis=-1, keepdims=True)
    return x @ np.asarray(head["w"]) + head["b"]


if __name__ == "__main__":  # python3 head_logits.py classifier.weights.json embeddings.npy
    import sys

    for logit in head_logits(sys.argv[1], np.load(sys.argv[2])):
        print(f"{logit:.9f}")
