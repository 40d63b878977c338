"""Adapters: files, JSON, terminals and databases in; domain objects out, and back."""
