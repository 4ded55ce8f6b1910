"""Open Klant (VNG Klantinteracties API) simulator: maak-klantcontact and klantcontacten."""

from sandbox.klantinteracties.simulator import DEFAULT_TOKEN, KlantinteractiesSimulator

__all__ = ["DEFAULT_TOKEN", "KlantinteractiesSimulator"]
