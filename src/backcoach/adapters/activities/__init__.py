"""Readers for activity files: FIT, GPX, TCX, and Strava bulk exports."""
