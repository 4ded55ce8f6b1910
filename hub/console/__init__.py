"""The operations console: server-rendered pages at /console for the municipality's operators (issue 13).

Kept import-light: `hub.settings` imports `hub.console.settings`; the app lives in `hub.console.app`.
"""
