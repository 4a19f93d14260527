"""Mapping the exports of the tools users already have onto the data contract (issue 15)."""
