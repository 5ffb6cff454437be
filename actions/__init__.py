"""The registry of remediations: each Action declares what it does before it runs.

Filled by the command-palette issue; kept importable so the layering contracts hold.
"""
