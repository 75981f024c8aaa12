"""Write numbers into cells of an .xlsx file by editing its sheet XML in place.

Used to hand a workbook with new inputs to an external program (ssconvert).
Re-saving with openpyxl would be simpler but loses precision: openpyxl writes
numbers as ``"%.16g"``, which does not always read back as the same double
(0.12345678901234568 is written 0.1234567890123457). Here every number is
written as ``repr(float)``, the shortest text that reads back exactly, and the
rest of the file stays byte for byte what the compiler wrote.

Only cells that already exist in the sheet XML can be set (input cells of a
cnn2sheet workbook always hold a number).
"""

from __future__ import annotations

import logging
import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from .workbook_names import cell_ref

logger = logging.getLogger(__name__)

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PKG_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"

# One <c> element, self-closing or not; XlsxWriter, openpyxl and Excel write no prefix.
_CELL_RE = re.compile(r"<c\b(?P<attrs>[^>]*?)(?:/>|>(?P<body>.*?)</c>)", re.DOTALL)
_R_ATTR_RE = re.compile(r'\sr="([A-Za-z]+[0-9]+)"')
_T_ATTR_RE = re.compile(r'\s(?:t|cm|vm)="[^"]*"')


class PatchError(Exception):
    """The file cannot be patched (unknown sheet, missing cell, unreadable package)."""


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> path of its XML part inside the package."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG_NS}Relationship")}
    parts = {}
    for sheet in workbook.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(sheet.get(_REL_ID), "")
        if target.startswith("/"):
            parts[sheet.get("name")] = target.lstrip("/")
        else:
            parts[sheet.get("name")] = posixpath.normpath(posixpath.join("xl", target))
    return parts


def _patch_sheet(xml: str, values: dict[str, float]) -> tuple[str, set[str]]:
    """Set the cells ``values`` (``"B3"`` -> number) in one sheet's XML."""
    done: set[str] = set()

    def replace(match: re.Match) -> str:
        attrs = match.group("attrs")
        r = _R_ATTR_RE.search(attrs)
        if r is None or r.group(1).upper() not in values:
            return match.group(0)
        ref = r.group(1).upper()
        done.add(ref)
        return f"<c{_T_ATTR_RE.sub('', attrs)}><v>{values[ref]!r}</v></c>"

    return _CELL_RE.sub(replace, xml), done


class XlsxPatcher:
    """Holds one .xlsx in memory; writes copies of it with some cells set to numbers."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            with zipfile.ZipFile(self.path) as archive:
                self._parts = sheet_parts(archive)
                self._members = [(info, archive.read(info)) for info in archive.infolist()]
            self._data = {info.filename: data for info, data in self._members}
        except (OSError, zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
            raise PatchError(f"cannot read {self.path} as an xlsx package: {exc}") from exc

    def write(self, dst: str | Path, cells: dict[str, dict[tuple[int, int], float]]) -> None:
        """Copy the workbook to ``dst`` with ``cells[sheet][(row, col)] = number`` set."""
        patched: dict[str, bytes] = {}
        for sheet, values in cells.items():
            part = self._parts.get(sheet)
            if part is None:
                raise PatchError(f"no sheet {sheet!r} in {self.path}; found {list(self._parts)}")
            by_ref = {cell_ref(row, col): float(v) for (row, col), v in values.items()}
            original = self._data.get(part)
            if original is None:
                raise PatchError(f"part {part} of sheet {sheet!r} missing from {self.path}")
            xml, done = _patch_sheet(original.decode("utf-8"), by_ref)
            missing = sorted(set(by_ref) - done)
            if missing:
                raise PatchError(
                    f"{len(missing)} input cell(s) of sheet {sheet!r} hold nothing in "
                    f"{self.path.name} (first {missing[0]}); only cells holding a value can be set"
                )
            patched[part] = xml.encode("utf-8")
        # Stored, not deflated: the copy is private and short-lived, and compressing a
        # sheet of a million constants again for every sample took longer than the rest.
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as out:
            for info, data in self._members:
                member = zipfile.ZipInfo(info.filename, info.date_time)
                out.writestr(member, patched.get(info.filename, data))
        logger.debug("wrote %s with %d sheet(s) patched", dst, len(patched))
