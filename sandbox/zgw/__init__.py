"""Simulators of the ZGW peers: an Open Zaak subset (Zaken + Catalogi) and an Open Notificaties subset (NRC)."""

from sandbox.zgw.auth import DEFAULT_CLIENT_ID, DEFAULT_SECRET, Client, JwtChecker
from sandbox.zgw.nrc import Delivery, NotificatiesSimulator
from sandbox.zgw.openzaak import OpenZaakSimulator

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_SECRET", "Client", "Delivery", "JwtChecker", "NotificatiesSimulator",
           "OpenZaakSimulator"]
