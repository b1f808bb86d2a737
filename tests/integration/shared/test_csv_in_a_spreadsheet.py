"""A CSV export opened by a real spreadsheet (LibreOffice Calc, headless, converting it to a
workbook read back with openpyxl): no cell is a formula, numbers and money stay numbers.
A control file written without :func:`shared.exports.safe_text` shows the same reader does
make formulas of such cells."""

from __future__ import annotations

import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from shared.exports import Amount, csv_lines

SOFFICE = shutil.which("soffice")
# `make test` installs it (deploy/local/chromium.sh); without it the test skips, but not under
# CI, where a skipped proof would pass unseen
MISSING = "LibreOffice (soffice) is not installed: bash deploy/local/chromium.sh install"
pytestmark = pytest.mark.skipif(SOFFICE is None and os.environ.get("CI") != "true", reason=MISSING)

HOSTILE = ['=HYPERLINK("http://evil","x")', "+1+2", "-1+2", "@SUM(1,2)", "\t=1+2", "\r=1+2"]


def _opened(tmp_path: Path, name: str, text: str) -> list[list[Any]]:
    """The cells (value, type) LibreOffice makes of the CSV ``text``."""
    source = tmp_path / f"{name}.csv"
    source.write_text(text, encoding="utf-8", newline="")
    profile = (tmp_path / "profile").as_uri()
    if SOFFICE is None:
        pytest.fail(MISSING)
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sheet = openpyxl.load_workbook(tmp_path / f"{name}.xlsx").active
    return [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]


def test_an_exported_csv_holds_no_formula_and_numbers_stay_numbers(tmp_path: Path) -> None:
    header = ["text", "amount", "count"]
    rows = [[text, Amount(Decimal("-12.50"), 2), -3] for text in HOSTILE]
    safe = _opened(tmp_path, "safe", "".join(csv_lines(header, rows)))
    cells = [cell for row in safe[1:] for cell in row]
    assert not [c for c in cells if c[1] == "f"], cells
    assert [row[1] for row in safe[1:]] == [(-12.5, "n")] * len(HOSTILE)
    assert [row[2] for row in safe[1:]] == [(-3, "n")] * len(HOSTILE)
    texts = [row[0] for row in safe[1:]]
    assert [kind for _, kind in texts] == ["s"] * len(HOSTILE), texts
    assert all(
        str(value).endswith(text.lstrip("\t\r"))
        for (value, _), text in zip(texts, HOSTILE, strict=True)
    ), texts

    # As exports were written before (Calc takes "=" as a formula; Excel "+", "-", "@" too).
    raw = "text\r\n" + "".join(f"{t}\r\n" for t in [HOSTILE[0], "=1+2"])
    control = _opened(tmp_path, "raw", raw)
    assert [row[0][1] for row in control[1:]] == ["f", "f"]
