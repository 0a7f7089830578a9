"""Generate large synthetic MARC21 catalogues for benchmarks (seeded, deterministic).

The records look like what a library ILS exports: 001/003/005/008, 020 with price, 041 on
translations, 082, 100, 245 (with an 880 Arabic-script pair on Arabic records), 250, 264,
300, 490, 520, 650 ×3, 700. Titles are built from French, English and Arabic word lists so
that language resolution and deduplication have realistic work.

    python benchmarks/generate.py 100000 out/bench.mrc [--xml out/bench.xml]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import isbnlib

FT, RT, SF = b"\x1e", b"\x1d", b"\x1f"

WORDS = {
    "fre": "maison jardin voyage histoire nuit enfant mer soleil ville chemin lettre secret "
    "monde temps guerre amour rêve école forêt lumière".split(),
    "eng": "house garden journey history night child sea sun city road letter secret world "
    "time war love dream school forest light".split(),
    "ara": "بيت حديقة رحلة تاريخ ليل طفل بحر شمس مدينة طريق رسالة سر عالم زمن حرب حب حلم مدرسة "
    "غابة نور".split(),
}
ROMAN_AR = "bayt hadiqa rihla tarikh layl tifl bahr shams madina tariq risala sirr alam zaman harb "
ROMAN_AR_WORDS = (ROMAN_AR + "hubb hulm madrasa ghaba nur").split()
SURNAMES = "Martin Dubois Smith Jones Haddad Khoury Nasrallah Darwish Moreau Taylor".split()
GROUPS = {"fre": "2", "eng": "1", "ara": "9953"}
AUDIENCE = "abcdjeg "
FORM = "01fjp"
SUBJECTS = "History Children Poetry Science Cooking Travel Arabic French Art Music".split()


def _isbn(rng: random.Random, lang: str) -> str:
    group = GROUPS[lang]
    body = group + "".join(rng.choice("0123456789") for _ in range(9 - len(group)))
    return isbnlib.to_isbn13(body + isbnlib.check_digit10(body))


def _field(tag: str, ind: str, *subfields: tuple[str, str]) -> tuple[str, bytes]:
    data = ind.encode() + b"".join(SF + c.encode() + v.encode() for c, v in subfields)
    return tag, data + FT


def _control(tag: str, value: str) -> tuple[str, bytes]:
    return tag, value.encode() + FT


def iso2709(fields: list[tuple[str, bytes]]) -> bytes:
    """One ISO 2709 record, UTF-8 (leader/09 'a'), lengths in bytes."""
    directory, data, offset = b"", b"", 0
    for tag, body in fields:
        directory += f"{tag}{len(body):04d}{offset:05d}".encode()
        data += body
        offset += len(body)
    base = 24 + len(directory) + 1
    length = base + len(data) + 1
    leader = f"{length:05d}nam a22{base:05d} i 4500".encode()
    return leader + directory + FT + data + RT


def record_fields(n: int, rng: random.Random) -> list[tuple[str, bytes]]:
    lang = rng.choices(("fre", "eng", "ara"), weights=(45, 35, 20))[0]
    words = WORDS[lang]
    title = " ".join(rng.sample(words, rng.randint(2, 5))).capitalize()
    author = f"{rng.choice(SURNAMES)}, {rng.choice('ABCDEFGHJKLM')}."
    year = rng.randint(1975, 2025)
    code_lang = lang if rng.random() > 0.05 else "   "
    f008 = list(" " * 40)
    f008[0:6] = str(rng.randint(100101, 251231))
    f008[6], f008[7:11], f008[15:18] = "s", str(year), "fr "
    f008[18] = "a"  # illustrations
    f008[22] = rng.choice(AUDIENCE)  # target audience
    f008[29:32] = "000"
    f008[33] = rng.choice(FORM)  # literary form
    f008[35:38] = code_lang
    f008[39] = "d"
    fields = [
        _control("001", f"bench{n:07d}"),
        _control("003", "FR-AuSB"),
        _control("005", "20250101120000.0"),
        _control("008", "".join(f008)),
        _field(
            "020",
            "  ",
            ("a", _isbn(rng, lang)),
            ("q", "br."),
            ("c", f"{rng.randint(5, 30)},00 EUR"),
        ),
    ]
    if rng.random() < 0.1:
        fields.append(_field("041", "1 ", ("a", lang), ("h", rng.choice(("eng", "fre")))))
    dewey = f"{rng.randint(0, 999):03d}.{rng.randint(0, 99)}"
    fields.append(_field("082", "04", ("a", dewey), ("2", "23")))
    fields.append(_field("100", "1 ", ("a", author)))
    if lang == "ara":
        roman = " ".join(rng.sample(ROMAN_AR_WORDS, 3)).capitalize()
        fields.append(_field("245", "10", ("6", "880-01"), ("a", roman + " /"), ("c", author)))
        fields.append(_field("880", "10", ("6", "245-01/(3/r"), ("a", title + " /"), ("c", author)))
    else:
        fields.append(_field("245", "10", ("a", title + " :"), ("b", "roman /"), ("c", author)))
    fields += [
        _field("250", "  ", ("a", f"{rng.randint(1, 5)}e éd.")),
        _field("264", " 1", ("a", "Paris :"), ("b", "Éditions Exemple,"), ("c", str(year))),
        _field(
            "300",
            "  ",
            ("a", f"{rng.randint(24, 600)} p. :"),
            ("b", "ill. ;"),
            ("c", f"{rng.randint(15, 30)} cm"),
        ),
        _field("490", "0 ", ("a", "Collection exemple")),
        _field("520", "  ", ("a", "Résumé : " + " ".join(rng.sample(words, 6)))),
    ]
    for subject in rng.sample(SUBJECTS, 3):
        fields.append(_field("650", " 0", ("a", subject)))
    fields.append(_field("700", "1 ", ("a", f"{rng.choice(SURNAMES)}, {rng.choice('NOPQRS')}.")))
    return fields


def generate(count: int, seed: int = 20261128) -> Iterator[list[tuple[str, bytes]]]:
    rng = random.Random(seed)
    for n in range(count):
        yield record_fields(n, rng)


def to_marcxml(fields: list[tuple[str, bytes]], leader: str) -> str:
    parts = [f"<record><leader>{leader}</leader>"]
    for tag, body in fields:
        text = body[:-1].decode()
        if tag < "010":
            parts.append(f'<controlfield tag="{tag}">{escape(text)}</controlfield>')
            continue
        ind, *subs = text.split("\x1f")
        parts.append(f'<datafield tag="{tag}" ind1="{ind[0]}" ind2="{ind[1]}">')
        parts += [f'<subfield code="{s[0]}">{escape(s[1:])}</subfield>' for s in subs]
        parts.append("</datafield>")
    parts.append("</record>")
    return "".join(parts)


def write(count: int, mrc: Path, xml: Path | None = None, seed: int = 20261128) -> None:
    mrc.parent.mkdir(parents=True, exist_ok=True)
    xml_out = xml.open("w", encoding="utf-8") if xml else None
    if xml_out:
        xml_out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        xml_out.write('<collection xmlns="http://www.loc.gov/MARC21/slim">\n')
    with mrc.open("wb") as out:
        for fields in generate(count, seed):
            record = iso2709(fields)
            out.write(record)
            if xml_out:
                xml_out.write(to_marcxml(fields, record[:24].decode()) + "\n")
    if xml_out:
        xml_out.write("</collection>\n")
        xml_out.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--xml", type=Path)
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    write(args.count, args.out, args.xml, args.seed)


if __name__ == "__main__":
    main()
