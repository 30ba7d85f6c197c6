from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask

from lms.org import services
from lms.org.services.imports import COLUMNS

HEADER = ",".join(COLUMNS)


def invoke(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def test_units_import_merge_and_tree(app: Flask, db: Any, tmp_path: Path) -> None:
    file = tmp_path / "tree.csv"
    file.write_text(
        f"{HEADER}\nQB-DH,Thành phố Đồng Hới,,district,QB,,,,,\n"
        "QB,Tỉnh Quảng Bình,,province,,,,,QB,15\nQT,Tỉnh Quảng Trị,,province,,,,,QT,15\n",
        encoding="utf-8-sig",
    )
    result = invoke(app, "units", "import", str(file))
    assert result.exit_code == 0, result.output
    assert "created: 3" in result.output
    result = invoke(app, "units", "merge", "QB", "--into", "QT", "--on", "2025-07-01")
    assert result.exit_code == 0, result.output
    assert "open until 2025-06-30" in result.output
    assert services.get_unit("QB-DH").parent.code == "QT"
    now = invoke(app, "units", "tree", "QT").output.splitlines()
    assert now == [
        "QT  Tỉnh Quảng Trị  [province]",
        "  QB  Tỉnh Quảng Bình  [province]  (closed 2025-06-30, → QT)",
        "  QB-DH  Thành phố Đồng Hới  [district]",
    ]
    before = invoke(app, "units", "tree", "--on", "2025-06-30").output.splitlines()
    assert before == [
        "QB  Tỉnh Quảng Bình  [province]",
        "  QB-DH  Thành phố Đồng Hới  [district]",
        "QT  Tỉnh Quảng Trị  [province]",
    ]
    open_only = invoke(app, "units", "tree", "--open-only").output
    assert "Tỉnh Quảng Bình" not in open_only


def test_units_cli_errors(app: Flask, db: Any, tmp_path: Path) -> None:
    file = tmp_path / "bad.csv"
    file.write_text(f"{HEADER}\nA,,,planet,,,,,,\n")
    result = invoke(app, "units", "import", str(file))
    assert result.exit_code == 1
    assert "rows.1.name" in result.output
    assert "rows.1.kind" in result.output
    latin = tmp_path / "latin.csv"
    latin.write_bytes("code,name\nA,Hải".encode()[:-1] + b"\xff")
    assert "UTF-8" in invoke(app, "units", "import", str(latin)).output
    merged = invoke(app, "units", "merge", "NOPE", "--into", "X", "--on", "2025-07-01")
    assert merged.exit_code == 1
    assert "NOPE" in merged.output
    assert invoke(app, "units", "merge", "A", "--into", "B", "--on", "July").exit_code == 2
    assert invoke(app, "units", "tree", "NOPE").exit_code == 1


def test_headcounts_import_csv_and_json(app: Flask, tree: dict, tmp_path: Path) -> None:
    csv = tmp_path / "hc.csv"
    csv.write_text(
        "unit_code,target_group,year,count\nHP-LC,official,2025,38\nHP-LC,leader,2025,4\n"
    )
    result = invoke(app, "headcounts", "import", str(csv))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "created: 2, updated: 0, unchanged: 0"
    data = tmp_path / "hc.json"
    data.write_text(
        json.dumps([{"unit": "HP-LC", "target_group": "official", "year": 2025, "count": 40}])
    )
    assert "updated: 1" in invoke(app, "headcounts", "import", str(data)).output
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps([{"unit": "NOPE", "target_group": "official", "year": 2025, "count": 1}])
    )
    result = invoke(app, "headcounts", "import", str(bad))
    assert result.exit_code == 1
    assert "rows.1.unit: Unknown unit NOPE." in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    assert invoke(app, "headcounts", "import", str(broken)).exit_code == 1
