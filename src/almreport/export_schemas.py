"""Write a JSON Schema per record file type into schemas/ (from the pydantic models).

    python -m almreport.export_schemas [root]          # write schemas/<name>.schema.json
    python -m almreport.export_schemas --check [root]  # exit 1 if any file is out of date

Record files name their schema on their first line so editors validate and complete them:
    # yaml-language-server: $schema=../schemas/<name>.schema.json
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

SCHEMA_DIR = "schemas"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# schema name -> "module:attribute" (a model class or an Annotated union)
RECORD_TYPES: dict[str, str] = {
    "survey": "almreport.schema.survey:Survey",
    "claims": "almreport.schema.claims:Claims",
    "edits": "almreport.schema.edits:Edits",
    "project": "almreport.schema.project:Project",
    "programme": "almreport.schema.programme:Programme",
    "organisation": "almreport.schema.organisation:OrganisationRecord",
    "region": "almreport.schema.region:Region",
    "subproject": "almreport.schema.subprojects:Subproject",
}


def _resolve(target: str) -> Any | None:
    module_name, attr = target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name == module_name:
            return None  # that record type does not exist (yet)
        raise
    return getattr(module, attr, None)


def schemas() -> dict[str, dict[str, Any]]:
    """Schema name -> JSON Schema, for every record type whose model exists."""
    out: dict[str, dict[str, Any]] = {}
    for name, target in RECORD_TYPES.items():
        model = _resolve(target)
        if model is None:
            continue
        schema = TypeAdapter(model).json_schema()
        out[name] = {"$schema": JSON_SCHEMA_DIALECT, "title": schema.pop("title", name), **schema}
    return out


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write(root: Path) -> list[Path]:
    folder = root / SCHEMA_DIR
    folder.mkdir(exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = folder / f"{name}.schema.json"
        text = render(schema)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale(root: Path) -> list[str]:
    """Schema files missing or different from what the models give."""
    out = []
    for name, schema in schemas().items():
        path = root / SCHEMA_DIR / f"{name}.schema.json"
        if not path.exists() or path.read_text(encoding="utf-8") != render(schema):
            out.append(f"{SCHEMA_DIR}/{name}.schema.json is out of date (run `python -m "
                       "almreport.export_schemas`)")
    return out


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    root = Path(args[0] if args else ".").resolve()
    if check:
        problems = stale(root)
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    for path in write(root):
        print(path.relative_to(root).as_posix())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
