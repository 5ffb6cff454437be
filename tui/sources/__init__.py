"""Feeds: each turns a remote or local source into typed store changes. No Textual here."""
