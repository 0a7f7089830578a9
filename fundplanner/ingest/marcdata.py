"""The shape every MARC reader hands to the field map (ISO 2709 and MARCXML alike).

A record is its leader plus, per tag, the list of its occurrences in record order:
control fields (00X) as their string value, data fields as :data:`DataField` tuples.
Only the tags the field map asks for need to be present (readers may decode selectively).
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: (indicator 1, indicator 2, [(subfield code, value), ...]) — strings already decoded.
DataField = tuple[str, str, list[tuple[str, str]]]


@dataclass(slots=True)
class MarcRecord:
    leader: str
    record_no: int  # 1-based position in the file
    fields: dict[str, list[str | DataField]] = field(default_factory=dict)
    flavour: str = "marc21"  # "marc21" or "unimarc", decided per record from its tags

    def control(self, tag: str) -> str | None:
        """The first occurrence of control field ``tag`` (001, 005, 008 …)."""
        values = self.fields.get(tag)
        if not values:
            return None
        first = values[0]
        return first if isinstance(first, str) else None

    def datafields(self, tag: str) -> list[DataField]:
        return [f for f in self.fields.get(tag, ()) if not isinstance(f, str)]
