"""Inference and benchmark evaluation: post-processing, problems, scoring, pass@k, generation backends."""
