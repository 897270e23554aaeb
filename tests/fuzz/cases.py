"""Generated malformed trade files, family by family, from fixed seeds (so a failure replays).

Each case is a file name, the bytes (or a writer for binary formats) and what must come out:
``decoded`` names the importer texts a successful read must give exactly (a wrong decoding is
the failure that matters most: a sanctioned importer silently unmatched), ``must_fail`` says the
file can only be refused, ``must_load`` that it can only be read.
"""

from __future__ import annotations

import codecs
import io
import random
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.io.xlsx_kit import TRADE_HEADER, row_xml, trade_rows, write_xlsx

HEADER = ["IMPORTER", "EXPORTER", "HS_CODE", "DESTINATION_COUNTRY", "DATE", "VALUE"]

NAMES = {
    "russian": [
        "АО РОСОБОРОНЭКСПОРТ",
        "ООО Ромашка",
        "ТОО Береке Трейд",
        "ПАО Газпром нефть",
        "ООО Техносила Импорт",
        "АО Концерн Калашников",
        "ООО Вектор Электроникс",
        "ИП Иванов Сергей Петрович",
    ],
    "turkish": [
        "TÜRKİYE İŞ BANKASI",
        "ŞİŞECAM ÇAYIROVA",
        "ÖZDEMİR DIŞ TİCARET",
        "AYDIN ÇELİK SANAYİ",
        "GÜNEŞ İTHALAT İHRACAT",
    ],
    "chinese": [
        "北京航空材料研究院有限公司",
        "上海电气集团",
        "深圳市电子技术有限公司",
        "中国航天科工集团",
    ],
    "taiwanese": ["台灣積體電路製造股份有限公司", "鴻海精密工業", "聯發科技股份有限公司"],
    "western": [
        "Société Générale",
        "Müller GmbH",
        "Curaçao Trading",
        "Ångström AB",
        "Peña Hermanos",
    ],
    "ascii": ["ACME LLC", "GLOBAL TRADE FZE", "SILK ROAD LOGISTICS", "NORTHERN STAR OOO"],
}
ENCODINGS = {
    "russian": ["utf-8", "cp1251", "koi8_r", "cp866", "utf-16"],
    "turkish": ["utf-8", "cp1254", "utf-16"],
    "chinese": ["utf-8", "gb18030", "utf-16"],
    "taiwanese": ["utf-8", "big5"],
    "western": ["utf-8", "cp1252"],
    "ascii": ["utf-8", "cp1252"],
}
HS_CODES = ["8542310000", "854231", "8471.30", "0304.90", "8.54231E+5", "69072100", "880240"]
COUNTRIES = ["RU", "KZ", "Russian Federation", "KYRGYZSTAN", "AM", "TR", "CN"]


@dataclass(frozen=True)
class Case:
    name: str
    write: Callable[[Path], None]
    decoded: tuple[str, ...] | None = None
    must_fail: bool = False
    must_load: bool = False
    refusal: str | None = None
    """A text the refusal message must contain."""


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _csv_text(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> str:
    out = io.StringIO()
    import csv

    csv.writer(out, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return out.getvalue()


def _row(rng: random.Random, names: list[str]) -> list[str]:
    return [
        rng.choice(names),
        rng.choice(NAMES["ascii"]),
        rng.choice(HS_CODES),
        rng.choice(COUNTRIES),
        f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        str(round(rng.uniform(1, 1e6), 2)),
    ]


def encodings(count: int) -> Iterator[Case]:
    rng = random.Random(11)
    scripts = sorted(NAMES)
    for i in range(count):
        script = scripts[i % len(scripts)]
        encoding = rng.choice(ENCODINGS[script])
        rows = [_row(rng, NAMES[script]) for _ in range(rng.randint(1, 40))]
        text = _csv_text([HEADER, *rows], delimiter=rng.choice([",", ";", "\t"]))
        bom = b""
        if encoding == "utf-16":
            bom, encoding = rng.choice(
                [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
            )
        elif encoding == "utf-8" and rng.random() < 0.4:
            bom = codecs.BOM_UTF8
        data = bom + text.encode(encoding)
        yield Case(
            f"enc_{i:03d}_{script}_{encoding}.csv",
            _bytes(data),
            decoded=tuple(r[0] for r in rows),
        )


def boms_and_garbage(count: int) -> Iterator[Case]:
    rng = random.Random(12)
    body = _csv_text([HEADER, _row(rng, NAMES["ascii"])])
    fixed = [
        ("bom_only", codecs.BOM_UTF8, True),
        ("utf16_bom_only", codecs.BOM_UTF16_LE, True),
        ("double_bom", codecs.BOM_UTF8 * 2 + body.encode(), False),
        ("utf16_bom_utf8_body", codecs.BOM_UTF16_LE + body.encode(), True),
        ("utf32_bom", codecs.BOM_UTF32_LE + body.encode("utf-32-le"), True),
        ("nul_in_cell", body.encode() + b"A\x00B,8542,RU,2024-01-01,1\n", True),
        ("truncated_utf8", (HEADER[0] + "\nООО Ромашка").encode()[:-1], False),
    ]
    for name, data, fail in fixed:
        yield Case(f"bom_{name}.csv", _bytes(data), must_fail=fail and name != "double_bom")
    for i in range(count - len(fixed)):
        size = rng.choice([1, 10, 100, 5_000])
        garbage = bytes(rng.randrange(256) for _ in range(size))
        prefix = rng.choice([b"", b"IMPORTER,HS_CODE\n", codecs.BOM_UTF8])
        yield Case(f"garbage_{i:03d}.csv", _bytes(prefix + garbage))


def ragged(count: int) -> Iterator[Case]:
    rng = random.Random(13)
    for i in range(count):
        rows = [_row(rng, NAMES["ascii"]) for _ in range(rng.randint(1, 60))]
        for row in rows:
            roll = rng.random()
            if roll < 0.15:
                row.extend(["EXTRA"] * rng.randint(1, 3))
            elif roll < 0.3:
                del row[rng.randint(1, len(row) - 1) :]
            elif roll < 0.35:
                row[:] = [""] * len(row)
        text = _csv_text([HEADER, *rows], delimiter=rng.choice([",", ";", "|", "\t"]))
        if rng.random() < 0.3:
            text = "Vendor export\nGenerated 2025-01-01\n\n" + text
        yield Case(f"ragged_{i:03d}.csv", _bytes(text.encode()), must_load=True)


def newlines_and_quotes(count: int) -> Iterator[Case]:
    rng = random.Random(14)
    for i in range(count):
        rows = [_row(rng, NAMES["ascii"]) for _ in range(rng.randint(1, 30))]
        for row in rows:
            if rng.random() < 0.3:
                row[0] = row[0] + rng.choice(["\nline two", "\r\nCRLF", '"quoted"', '""', "\r"])
        newline = rng.choice(["\n", "\r\n", "\r"])
        text = _csv_text([HEADER, *rows], newline=newline)
        if rng.random() < 0.25:  # an unbalanced quote somewhere
            at = rng.randrange(len(text))
            text = text[:at] + '"' + text[at:]
        yield Case(f"quotes_{i:03d}.csv", _bytes(text.encode()))


def huge_fields(count: int) -> Iterator[Case]:
    rng = random.Random(15)
    for i in range(count):
        size = 1_500_000 if i == 0 else rng.choice([130_000, 200_000, 400_000])
        rows = [_row(rng, NAMES["ascii"]) for _ in range(rng.randint(1, 5))]
        rows[rng.randrange(len(rows))][rng.choice([0, 3, 5])] = "Z" * size
        if rng.random() < 0.3:
            rows[0][0] = "Y" * size + "\n" + "Y" * 10
        yield Case(f"huge_{i:03d}.csv", _bytes(_csv_text([HEADER, *rows]).encode()), must_load=True)


ODD_NUMBERS = [
    "inf",
    "-inf",
    "nan",
    "NaN",
    "1e309",
    "-1e309",
    "1e-400",
    "-5",
    "-0",
    "1,2,3",
    "１２３",
    "١٢٣",
    "12,5",
    "1.234.567,89",
    "0x1F",
    "1_000",
    "  ",
    "∞",
    "9" * 400,
    "1e5000",
]
ODD_HS = [
    "1E5000",
    "1E9999999",
    "8.54231E+5",
    "８５４２３１",
    "854231.0000001",
    "-854231",
    "0",
    "00000000",
    "77" * 3,
    "8542" * 200,
    "85 42 31",
    "85-42-31",
    "HS854231",
    "NaN",
    "٨٥٤٢٣١",
]
ODD_DATES = [
    "2023-02-30",
    "yesterday",
    "03/04/2025",
    "13/13/2025",
    "0000-00-00",
    "9999-12-31",
    "2025-04-25T18:30:00.000Z",
    "2025-04-25T25:61:00Z",
    "45734",
    "1e10",
    "Mar 2025",
    "Marchish 2025",
    "31.02.2024",
    "2024-13",
    "20240230",
    "-2024-01-01",
    "2" * 100,
]


def odd_values(count: int) -> Iterator[Case]:
    rng = random.Random(16)
    for i in range(count):
        rows = []
        for _ in range(rng.randint(1, 25)):
            row = _row(rng, NAMES["ascii"])
            row[2] = rng.choice(ODD_HS + HS_CODES)
            row[4] = rng.choice(ODD_DATES)
            row[5] = rng.choice(ODD_NUMBERS)
            rows.append(row)
        yield Case(f"odd_{i:03d}.csv", _bytes(_csv_text([HEADER, *rows]).encode()), must_load=True)


def wrong_types(count: int) -> Iterator[Case]:
    """Parquet and CSV with numbers where names go, booleans, dates, nulls everywhere."""
    rng = random.Random(17)
    for i in range(count):
        n = rng.randint(1, 30)
        columns = {
            "IMPORTER": rng.choice(
                [
                    pa.array([rng.randint(0, 10**9) for _ in range(n)]),
                    pa.array([rng.random() for _ in range(n)]),
                    pa.array([rng.random() < 0.5 for _ in range(n)]),
                    pa.nulls(n, pa.string()),
                    pa.array([rng.choice(NAMES["russian"]) for _ in range(n)]),
                ]
            ),
            "HS_CODE": rng.choice(
                [
                    pa.array(
                        [854231.0, float("nan"), float("inf"), None, 69072190090.0][: n % 5 + 1] * n
                    )[:n],
                    pa.array([rng.randint(0, 10**12) for _ in range(n)]),
                    pa.array([rng.choice(ODD_HS) for _ in range(n)]),
                ]
            ),
            "DATE": rng.choice(
                [
                    pa.array([1_700_000_000_000 + i for i in range(n)], pa.timestamp("ms")),
                    pa.array([19_000 + i for i in range(n)], pa.date32()),
                    pa.array([rng.choice(ODD_DATES) for _ in range(n)]),
                ]
            ),
            "VALUE": rng.choice(
                [
                    pa.array([rng.choice(ODD_NUMBERS) for _ in range(n)]),
                    pa.array([float("inf"), -1.0, float("nan"), 1e308][: n % 4 + 1] * n)[:n],
                    pa.array([rng.randint(-(10**15), 10**15) for _ in range(n)]),
                ]
            ),
        }
        table = pa.table(columns)
        yield Case(
            f"types_{i:03d}.parquet", lambda p, t=table: pq.write_table(t, p), must_load=True
        )


def nested_parquet(count: int) -> Iterator[Case]:
    rng = random.Random(18)
    for i in range(count):
        n = rng.randint(1, 20)
        extra = rng.choice(
            [
                pa.array([[rng.choice(NAMES["western"])] * rng.randint(0, 3) for _ in range(n)]),
                pa.array([{"name": rng.choice(NAMES["chinese"]), "n": j} for j in range(n)]),
                pa.array([bytes(rng.randrange(256) for _ in range(4)) for _ in range(n)]),
                pa.array([[("k", "v")] for _ in range(n)], pa.map_(pa.string(), pa.string())),
                pa.array([[[1, 2], [3]] for _ in range(n)]),
                pa.array([None] * n, pa.null()),
                pa.array([str(j) for j in range(n)]).dictionary_encode(),
                pa.array([j * 1000 for j in range(n)], pa.decimal128(18, 3)),
                pa.array([j for j in range(n)], pa.time64("us")),
            ]
        )
        table = pa.table(
            {
                "EXPORTER_NAME": [rng.choice(NAMES["ascii"]) for _ in range(n)],
                "HS_CODE": [rng.choice(HS_CODES) for _ in range(n)],
                "EXTRA": extra,
            }
        )
        yield Case(
            f"nested_{i:03d}.parquet", lambda p, t=table: pq.write_table(t, p), must_load=True
        )


def truncated_parquet(count: int) -> Iterator[Case]:
    rng = random.Random(19)
    buffer = io.BytesIO()
    pq.write_table(
        pa.table({"EXPORTER_NAME": ["A LLC"] * 500, "HS_CODE": ["854231"] * 500}),
        buffer,
        row_group_size=100,
    )
    data = buffer.getvalue()
    for i in range(count):
        roll = rng.random()
        if roll < 0.6:
            broken = data[: rng.randrange(len(data) - 8)]
        elif roll < 0.8:  # bytes flipped in the footer
            cut = len(data) - rng.randint(9, 200)
            broken = data[:cut] + bytes(rng.randrange(256) for _ in range(4)) + data[cut + 4 :]
        else:
            broken = b"PAR1" + bytes(rng.randrange(256) for _ in range(rng.randint(0, 500)))
        yield Case(f"truncated_{i:03d}.parquet", _bytes(broken))


def _corrupt_zip(rng: random.Random, path: Path) -> None:
    write_xlsx(path, trade_rows(200))
    data = bytearray(path.read_bytes())
    roll = rng.random()
    if roll < 0.5:
        del data[rng.randrange(len(data) // 2, len(data)) :]
    else:
        at = rng.randrange(len(data))
        data[at : at + 8] = bytes(rng.randrange(256) for _ in range(8))
    path.write_bytes(bytes(data))


def xlsx_bombs_and_breakage(count: int) -> Iterator[Case]:
    rng = random.Random(20)
    header = row_xml(1, TRADE_HEADER)
    fixed = [
        Case(
            "xl_rows_past_limit.xlsx",
            lambda p: write_xlsx(p, [header, row_xml(1_048_577, ("A", "B", "8542", "RU", 1))]),
            must_fail=True,
            refusal="Excel's limit",
        ),
        Case(
            "xl_sparse_grid.xlsx",
            lambda p: write_xlsx(
                p, [header, '<row r="300000"><c r="XFD300000"><v>1</v></c></row>']
            ),
            must_fail=True,
            refusal="cell limit",
        ),
        Case(
            "xl_wide_dimension.xlsx",
            lambda p: write_xlsx(p, trade_rows(2), dimension="A1:ZZZ2000000"),
            must_fail=True,
            refusal="Excel's limit",
        ),
        Case(
            "xl_dtd.xlsx",
            lambda p: write_xlsx(p, trade_rows(2), sheet_prefix='<!DOCTYPE x [<!ENTITY a "b">]>'),
            must_fail=True,
            refusal="DTD",
        ),
        Case("xl_not_zip.xlsx", _bytes(b"IMPORTER,HS_CODE\nA,8542\n"), must_fail=True),
        Case("xl_empty_zip.xlsx", lambda p: zipfile.ZipFile(p, "w").close(), must_fail=True),
        Case("xl_empty_sheet.xlsx", lambda p: write_xlsx(p, []), must_fail=True),
        Case("xl_banner_only.xlsx", lambda p: write_xlsx(p, [row_xml(1, ("Vendor report",))])),
        Case("xl_ok.xlsx", lambda p: write_xlsx(p, trade_rows(50)), must_load=True),
    ]
    yield from fixed
    for i in range(count - len(fixed)):
        seed = rng.random()
        yield Case(f"xl_corrupt_{i:03d}.xlsx", lambda p, s=seed: _corrupt_zip(random.Random(s), p))


def empty_and_odd_layouts(count: int) -> Iterator[Case]:
    rng = random.Random(21)
    fixed = [
        b"",
        b"\n",
        b"\r\n\r\n",
        b",,,\n,,,\n",
        b"IMPORTER\n",
        b"IMPORTER,HS_CODE\n",
        b";;;;\n",
        b"\t\t\n",
        b'"',
        b'""\n',
        b"IMPORTER,HS_CODE\n,\n,\n",
        b"a" * 10_000,
    ]
    for j, data in enumerate(fixed):
        yield Case(f"empty_{j:03d}.csv", _bytes(data))
    for i in range(count - len(fixed)):
        cells = [
            "".join(rng.choice('ab,;\t|"\n ') for _ in range(rng.randint(0, 12)))
            for _ in range(rng.randint(1, 8))
        ]
        yield Case(f"shapeless_{i:03d}.csv", _bytes("\n".join(cells).encode()))


FAMILIES: dict[str, tuple[Callable[[int], Iterator[Case]], int]] = {
    "encodings": (encodings, 90),
    "boms_and_garbage": (boms_and_garbage, 30),
    "ragged": (ragged, 60),
    "newlines_and_quotes": (newlines_and_quotes, 50),
    "huge_fields": (huge_fields, 10),
    "odd_values": (odd_values, 70),
    "wrong_types": (wrong_types, 50),
    "nested_parquet": (nested_parquet, 45),
    "truncated_parquet": (truncated_parquet, 40),
    "xlsx_bombs_and_breakage": (xlsx_bombs_and_breakage, 30),
    "empty_and_odd_layouts": (empty_and_odd_layouts, 40),
}
