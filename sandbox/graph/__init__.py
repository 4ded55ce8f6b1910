"""Simulator of Microsoft Graph calendars (users and room mailboxes) for the calendars flow."""

from sandbox.graph.simulator import GraphSimulator

__all__ = ["GraphSimulator"]
