"""Curated content: data files, their pydantic schema, and the loader that validates them."""
