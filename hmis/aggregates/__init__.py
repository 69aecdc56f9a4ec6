"""De-identified aggregate counts: the measures, their dimensions and suppression."""
