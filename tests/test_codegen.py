"""Generated functions (`hmis.codegen`): names that are not identifiers never reach the
source of the records, presented values and read plans made from it."""

from __future__ import annotations

import pytest

from hmis import codegen


def test_generated_source_takes_only_identifiers():
    made = codegen.dict_display(["a", "b"], lambda i, _n: f"row[{i}]")
    assert made == "{'a': row[0], 'b': row[1]}"
    with pytest.raises(ValueError, match="not column names"):
        codegen.dict_display(["a", "b']; import os; x = {'c"], lambda _i, _n: "0")
    read = codegen.function("def read(row):\n    return row + 1\n", "<test>")
    assert read(1) == 2
