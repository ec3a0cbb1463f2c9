"""The LLM layer: one client over any OpenAI-compatible endpoints, with cache, retries and usage."""

from evol.llm.client import LLMClient
from evol.llm.types import EndpointConfig, LLMFailure, LLMRequest, LLMResult

__all__ = ["EndpointConfig", "LLMClient", "LLMFailure", "LLMRequest", "LLMResult"]
