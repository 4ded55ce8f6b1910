"""Haal Centraal "BRP Personen Bevragen" simulator: `POST /personen`, RaadpleegMetBurgerservicenummer."""

from sandbox.brp.simulator import API_PATH, DEFAULT_API_KEY, BrpSimulator

__all__ = ["API_PATH", "DEFAULT_API_KEY", "BrpSimulator"]
