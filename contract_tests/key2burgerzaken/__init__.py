"""Contract tests of the Key2Burgerzaken view and of the outbound events TIP relies on."""
