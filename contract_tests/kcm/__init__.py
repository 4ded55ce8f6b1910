"""Contract tests for the KCM delivery: the CSV layout and the SFTP / HTTPS protocol."""
