"""The HTTP API (shared/spec/api.md): a FastAPI app over the store, problem+json errors."""
