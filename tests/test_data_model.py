"""The data model documents itself: HUD column names and element groups live on the columns."""

from __future__ import annotations

from pathlib import Path

from hmis.db.hud_mapping import render
from hmis.db.models import CLIENT_DATA_MODELS
from hmis.groups import ElementGroup

ROOT = Path(__file__).resolve().parents[1]


def test_hud_mapping_document_is_current():
    committed = (ROOT / "docs" / "hud-mapping.md").read_text()
    assert committed == render(), "run `hmis hud-mapping > docs/hud-mapping.md`"


def test_every_client_data_column_has_an_element_group():
    """Fail closed: a new column of client data without a group is a build failure."""
    keys = {"client_id", "enrollment_id", "project_id", "staff_user_id"}
    missing = [
        f"{model.__tablename__}.{column}"
        for model in CLIENT_DATA_MODELS
        for column in model.data_columns()
        if column not in keys and not isinstance(model.group_of(column), ElementGroup)
    ]
    assert missing == []
