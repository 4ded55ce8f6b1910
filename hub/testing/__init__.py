"""What tests of flows and of other hubs use: in-memory fakes of every port (`hub.testing.fakes`)."""
