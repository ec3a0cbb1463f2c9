"""evol: grow code instruction-tuning data with Evol-Instruct and fine-tune StarCoder-family models."""

__version__ = "0.1.0"
