"""`afsprakenhub demo`: sandbox peers, the hub on the embedded default, and a scripted register day."""
