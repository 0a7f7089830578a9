"""The original MARC records of an imported file, found again by their record numbers.

An import keeps the file it read (``catalogue.content``) and each candidate's position in it
(``record_no``, numbered as the readers number records). Exports for the library's ILS start
from the candidate's own record — every field the cataloguer wrote, not only those the plan
reads — so this module cuts those records out of the file again:

- ISO 2709 (MARC21, UNIMARC): the record's bytes, numbered as
  :func:`~fundplanner.ingest.iso2709.split_iso2709` numbers them (the reader's numbering,
  garbage between records excluded);
- MARCXML: the ``<record>`` element serialised alone (UTF-8, with its namespace declared), as
  :func:`~fundplanner.ingest.marcxml.iter_marcxml` numbers MARC records. A file whose XML
  breaks part-way gives the records before the break only; the others are built from the
  candidate's fields by the exporter.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable

from lxml import etree

from fundplanner.ingest.iso2709 import split_iso2709
from fundplanner.ingest.marcxml import RECORD_ELEMENTS, _is_marc_record, _release

#: Formats whose records can be found again, and the container each record comes in.
ISO2709_FORMATS = frozenset({"marc21", "unimarc"})
XML_FORMATS = frozenset({"marcxml", "unimarcxml"})


def original_records(content: bytes, format: str, record_nos: Iterable[int]) -> dict[int, bytes]:
    """{record number: the record's own bytes} for the wanted numbers found in ``content``
    (a file as imported, possibly gzip-compressed). Other formats give nothing."""
    wanted = {int(n) for n in record_nos}
    if not wanted or format not in ISO2709_FORMATS | XML_FORMATS:
        return {}
    data = _gunzipped(content)
    if format in ISO2709_FORMATS:
        return {
            span.record_no: data[span.start : span.end]
            for span in split_iso2709(data)
            if span.record_no in wanted
        }
    return _xml_records(data, wanted)


def _xml_records(data: bytes, wanted: set[int]) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    number = 0
    events = etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        tag=RECORD_ELEMENTS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    try:
        for _event, element in events:
            if _is_marc_record(element):
                number += 1
                if number in wanted:
                    found[number] = etree.tostring(element, encoding="utf-8", with_tail=False)
                    if len(found) == len(wanted):
                        break
            _release(element)
    except etree.LxmlError:
        pass  # the records before the break are found; the exporter builds the others
    return found


def _gunzipped(content: bytes) -> bytes:
    if not content.startswith(b"\x1f\x8b"):
        return content
    return zlib.decompress(content, wbits=16 + zlib.MAX_WBITS)
