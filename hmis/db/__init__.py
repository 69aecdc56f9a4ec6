"""Models, sessions and data access. Data access functions take the session as a keyword
argument and never commit: the request (or command) owns the one transaction."""
