"""Screens: the dashboard lives in the App; modals and full views here."""
