"""Privacy-enforcing GraphQL API for a Homeless Management Information System."""
