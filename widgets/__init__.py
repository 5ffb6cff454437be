"""Presentational widgets: they show rows handed to them and post messages up."""
