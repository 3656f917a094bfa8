"""Request and response bodies (pydantic, the HTTP trust boundary)."""
