"""HUD HMIS CSV export (and import): per caller, through the same decisions as GraphQL."""
