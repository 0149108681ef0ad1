"""Reading bulk-import files (CSV or JSON) into rows for ``claims_import``."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.conf import settings

from claims.services import InvalidInput

CSV_LIST_FIELDS = {"tags": ",", "sources": None}
KNOWN_COLUMNS = ("text", "claimant", "claim_date", "appeared_at", "language", "tags", "priority", "sources")


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput({"file": [f"The file is not UTF-8 text (byte {exc.start})."]}) from exc


def _csv_row(raw: dict[str | None, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for name, value in raw.items():
        if name is None:  # more cells than header columns
            row["_extra_cells"] = value
            continue
        key = name.strip().lower()
        if not key or value is None or (isinstance(value, str) and not value.strip() and key != "text"):
            continue
        if key == "tags":
            row[key] = [tag.strip() for tag in value.split(",") if tag.strip()]
        elif key == "sources":
            row[key] = value.replace("|", " ").split()
        else:
            row[key] = value
    return row


def rows_from_csv(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "text" not in [name.strip().lower() for name in reader.fieldnames if name]:
        raise InvalidInput({"file": ["The CSV needs a header row with at least a 'text' column."]})
    try:
        rows = []
        for raw in reader:
            rows.append(_csv_row(raw))
            _check_count(len(rows))
        return rows
    except csv.Error as exc:
        raise InvalidInput({"file": [f"Malformed CSV at line {reader.line_num}: {exc}"]}) from exc


def rows_from_json(text: str) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput({"file": [f"Malformed JSON: {exc}"]}) from exc
    return rows_from_data(data)


def rows_from_data(data: Any) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("claims"), list):
        data = data["claims"]
    if not isinstance(data, list):
        raise InvalidInput({"file": ['JSON imports are a list of claims, or {"claims": [...]}.']})
    _check_count(len(data))
    return data


def _check_count(count: int) -> None:
    if count > settings.IMPORT_MAX_ROWS:
        raise InvalidInput({"file": [f"At most {settings.IMPORT_MAX_ROWS} rows per import."]})


def detect_format(name: str = "", content_type: str = "", head: str = "") -> str:
    lowered = f"{name} {content_type}".lower()
    if "json" in lowered:
        return "json"
    if "csv" in lowered:
        return "csv"
    return "json" if head.lstrip()[:1] in ("[", "{") else "csv"


def rows_from_file(data: bytes | str, *, name: str = "", content_type: str = "") -> list[Any]:
    """Rows of a CSV or JSON import; the whole file is refused if it cannot be read."""
    text = _decode(data)
    if not text.strip():
        raise InvalidInput({"file": ["The file is empty."]})
    fmt = detect_format(name, content_type, text[:100])
    rows = rows_from_json(text) if fmt == "json" else rows_from_csv(text)
    if not rows:
        raise InvalidInput({"file": ["The file holds no rows."]})
    return rows
