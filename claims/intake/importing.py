"""Reading bulk-import files (CSV or JSON) into rows for ``claims_import``."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.conf import settings

from claims.intake.validation import InvalidInput


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput({"file": [f"The file is not UTF-8 text (byte {exc.start})."]}) from exc


def _csv_row(raw: dict[str | None, Any]) -> dict[str, Any] | InvalidInput:
    if raw.get(None):
        # More cells than columns: most likely an unquoted comma that split a text.
        # Storing the cut-off pieces would be worse than refusing the row.
        extra = len(raw[None])
        return InvalidInput(
            {"_": [f"This row has {extra} more cell(s) than the header has columns; quote texts that hold commas."]}
        )
    row: dict[str, Any] = {}
    for name, value in raw.items():
        if name is None:
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


def rows_from_csv(text: str) -> list[dict[str, Any] | InvalidInput]:
    # strict: an unclosed quote is an error, not a cell that silently swallows the rest of the file.
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    rows: list[dict[str, Any] | InvalidInput] = []
    fieldnames = None
    try:
        fieldnames = reader.fieldnames
        if not fieldnames or "text" not in [name.strip().lower() for name in fieldnames if name]:
            raise InvalidInput({"file": ["The CSV needs a header row with at least a 'text' column."]})
        for raw in reader:
            rows.append(_csv_row(raw))
            _check_count(len(rows))
        return rows
    except csv.Error as exc:
        where = f"row {len(rows) + 1}" if fieldnames else "the header row"
        raise InvalidInput({"file": [f"Malformed CSV in {where}: {exc}."]}) from exc


def rows_from_json(text: str) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput({"file": [f"Malformed JSON: {exc}"]}) from exc
    except RecursionError as exc:
        raise InvalidInput({"file": ["Malformed JSON: nested too deeply."]}) from exc
    return rows_from_data(data)


def rows_from_data(data: Any) -> list[Any]:
    if isinstance(data, dict) and isinstance(data.get("claims"), list):
        data = data["claims"]
    if not isinstance(data, list):
        raise InvalidInput({"file": ['JSON imports are a list of claims, or {"claims": [...]}.']})
    if not data:
        raise InvalidInput({"file": ["The file holds no rows."]})
    _check_count(len(data))
    return data


def _check_count(count: int) -> None:
    if count > settings.IMPORT_MAX_ROWS:
        raise InvalidInput({"file": [f"At most {settings.IMPORT_MAX_ROWS} rows per import."]})


def detect_format(name: str = "", content_type: str = "", head: str = "") -> str:
    """The file's extension decides, then its content type, then its first character."""
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix in ("json", "csv"):
        return suffix
    content_type = content_type.lower()
    if "json" in content_type:
        return "json"
    if "csv" in content_type:
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
