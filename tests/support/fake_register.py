"""The in-memory register, now in `hub.testing.fake_register` (with the other fakes in `hub.testing.fakes`)."""

from hub.testing.fake_register import FakeSettings, InMemoryRegister, build

__all__ = ["FakeSettings", "InMemoryRegister", "build"]
