"""Use cases: the application layer between the adapters (CLI, web) and the domain and storage."""
