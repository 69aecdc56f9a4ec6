"""`hmis seed`: the synthetic Continuum of Care (`build`), its people (`people`), their values
(`values`) and the pools they are drawn from (`data`). Not part of the API at run time."""
