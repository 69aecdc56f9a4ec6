"""Tokens, principals and the privacy policy."""
