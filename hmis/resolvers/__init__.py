"""Resolvers: load pages, ask the policy once per page, and present what it allows."""
