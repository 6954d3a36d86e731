"""Drafting at scale: concurrent batches, the OpenAI Batch API, token and cost accounting."""
