"""Helpers the contract tests share; shipped in the wheel, so `afsprakenhub contract-test` runs from an install."""
