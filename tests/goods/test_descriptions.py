"""Goods descriptions against the CHPL: rules fire on CHPL-type wording, never on clean goods."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from dualuse_kit.sample import load_sample_vocabulary
from screening.errors import ListParseError
from screening.goods import (
    CONSISTENT,
    DESCRIPTION_COLUMNS,
    DESCRIPTION_ONLY,
    OTHER_CHPL_CODE,
    POSSIBLE_MISDECLARATION,
    classify_descriptions,
    load_description_rules,
    normalise_texts,
)
from screening.hs import load_chpl
from screening.paths import REFERENCE_DIR
from tests.conftest import shared_path

# (description as vendors write it, rule expected to be reported, CHPL tier)
POSITIVE = [
    # tier 1: integrated circuits
    ("MICROCONTROLLER STM32F103C8T6 LQFP48", "microcontroller", "1"),
    ("IC MCU 32BIT 64KB FLASH", "microcontroller", "1"),
    ("32-BIT MICROCONTROLLERS, ARM CORTEX-M4", "microcontroller", "1"),
    ("МИКРОКОНТРОЛЛЕРЫ ДЛЯ ПРОМЫШЛЕННОЙ АВТОМАТИКИ", "microcontroller", "1"),
    ("МИКРОКОНТРОЛЛ", "microcontroller", "1"),  # truncated by the vendor
    ("单片机 STM32", "microcontroller", "1"),
    ("DIGITAL SIGNAL PROCESSOR CHIPS", "microcontroller", "1"),
    ("FPGA XILINX ARTIX-7", "programmable_logic", "1"),
    ("ПЛИС ALTERA CYCLONE", "programmable_logic", "1"),
    ("DRAM MEMORY CHIPS", "memory_ic", "1"),
    ("NAND FLASH MEMORY IC 64GB", "memory_ic", "1"),
    ("МИКРОСХЕМЫ ПАМЯТИ", "memory_ic", "1"),
    ("OPERATIONAL AMPLIFIER IC", "amplifier_ic", "1"),
    ("МИКРОСХЕМЫ УСИЛИТЕЛЕЙ", "amplifier_ic", "1"),
    ("ELECTRONIC INTEGRATED CIRCUITS OTHER", "integrated_circuit", "1"),
    ("IC CHIP TPS54331DR", "integrated_circuit", "1"),
    ("POWER MANAGEMENT IC", "integrated_circuit", "1"),
    ("ИНТЕГРАЛЬНЫЕ СХЕМЫ ЭЛЕКТРОННЫЕ ПРОЧИЕ", "integrated_circuit", "1"),
    ("МИКРОСХЕМА К1533ЛА3", "integrated_circuit", "1"),
    ("MИKPOCXEMA ИНТЕГРАЛЬНАЯ", "integrated_circuit", "1"),  # Latin M, K, P, O, C, X, E, A
    ("集成电路 IC芯片", "integrated_circuit", "1"),
    ("ELECTRONIC COMPONENTS: INTEGRATED CIRC", "integrated_circuit", "1"),  # truncated
    # tier 2
    ("GNSS RECEIVER MODULE U-BLOX NEO-M8N", "gnss_navigation", "2"),
    ("GPS NAVIGATION RECEIVER", "gnss_navigation", "2"),
    ("ПРИЕМНИК ГНСС", "gnss_navigation", "2"),
    ("НАВИГАЦИОННЫЙ ПРИЕМНИК ГЛОНАСС/GPS", "gnss_navigation", "2"),
    ("АППАРАТУРА РАДИОНАВИГАЦИОННАЯ", "gnss_navigation", "2"),
    ("北斗导航模块", "gnss_navigation", "2"),
    ("RF TRANSCEIVER MODULE 433MHZ", "radio_transceiver", "2"),
    ("LORA MODULE SX1276", "radio_transceiver", "2"),
    ("ПРИЕМОПЕРЕДАТЧИК РАДИОСТАНЦИИ", "radio_transceiver", "2"),
    ("РАДИОМОДУЛИ", "radio_transceiver", "2"),
    ("NETWORK SWITCHES, ETHERNET SWITCH 24 PORT", "radio_transceiver", "2"),
    ("МАШИНЫ ДЛЯ ПРИЕМА ПРЕОБРАЗОВАНИЯ И ПЕРЕДАЧИ ДАННЫХ", "radio_transceiver", "2"),
    ("WALKIE TALKIE BAOFENG UV-5R", "radio_transceiver", "2"),
    ("TANTALUM CAPACITORS SMD", "tantalum_capacitor", "2"),
    ("КОНДЕНСАТОРЫ ТАНТАЛОВЫЕ", "tantalum_capacitor", "2"),
    ("КОНДЕНСАТОР ЧИП ТАНТАЛОВЫЙ", "tantalum_capacitor", "2"),
    ("钽电容", "tantalum_capacitor", "2"),
    ("MULTILAYER CERAMIC CAPACITORS", "ceramic_capacitor", "2"),
    ("MLCC 0603 100NF", "ceramic_capacitor", "2"),
    ("КОНДЕНСАТОРЫ КЕРАМИЧЕСКИЕ МНОГОСЛОЙНЫЕ", "ceramic_capacitor", "2"),
    # tier 3.A
    ("RACK SERVERS DELL POWEREDGE", "computer_processing_unit", "3.A"),
    ("БЛОКИ ОБРАБОТКИ ДАННЫХ, СЕРВЕРЫ", "computer_processing_unit", "3.A"),
    ("DC-DC CONVERTERS", "static_converter", "3.A"),
    ("БЛОК ПИТАНИЯ ИМПУЛЬСНЫЙ", "static_converter", "3.A"),
    ("ELECTRICAL CONNECTORS FOR PCB", "connector", "3.A"),
    ("РАЗЪЁМЫ", "connector", "3.A"),
    ("MOSFET TRANSISTORS", "discrete_semiconductor", "3.A"),
    ("SCHOTTKY DIODES", "discrete_semiconductor", "3.A"),
    ("ТРАНЗИСТОРЫ СИЛОВЫЕ", "discrete_semiconductor", "3.A"),
    ("ДИОДЫ, КРОМЕ СВЕТОИЗЛУЧАЮЩИХ ДИОДОВ", "discrete_semiconductor", "3.A"),
    ("QUARTZ CRYSTAL 16MHZ", "quartz_crystal", "3.A"),
    ("РЕЗОНАТОРЫ КВАРЦЕВЫЕ", "quartz_crystal", "3.A"),
    ("THERMAL IMAGING CAMERA FLIR", "camera", "3.A"),
    ("ТЕПЛОВИЗОР", "camera", "3.A"),
    ("КАМЕРЫ ТЕПЛОВИЗИОННЫЕ", "camera", "3.A"),
    ("热成像仪", "camera", "3.A"),
    ("ANTENNAS, AERIALS AND PARTS", "antenna", "3.A"),
    ("АНТЕННА", "antenna", "3.A"),
    # tier 3.B
    ("BALL BEARINGS 6205-2RS", "ball_bearing", "3.B"),
    ("DEEP GROOVE BALL BEARING", "ball_bearing", "3.B"),
    ("ПОДШИПНИКИ ШАРИКОВЫЕ РАДИАЛЬНЫЕ", "ball_bearing", "3.B"),
    ("PODSHIPNIK SHARIKOVYI", "ball_bearing", "3.B"),
    ("深沟球轴承", "ball_bearing", "3.B"),
    ("TAPERED ROLLER BEARINGS", "roller_bearing", "3.B"),
    ("ПОДШИПНИКИ РОЛИКОВЫЕ КОНИЧЕСКИЕ", "roller_bearing", "3.B"),
    ("BEARING 6204 SKF", "bearing", "3.B"),
    ("ПОДШИПНИКИ", "bearing", "3.B"),
    ("PARTS FOR UNMANNED AERIAL VEHICLES", "uav", "3.B"),
    ("ЧАСТИ БПЛА", "uav", "3.B"),
    ("FPV DRONE FRAME", "uav", "3.B"),
    ("КВАДРОКОПТЕР DJI MAVIC", "uav", "3.B"),
    ("无人机配件", "uav", "3.B"),
    ("PARTS OF AIRCRAFT", "aircraft_parts", "3.B"),
    ("ЧАСТИ ЛЕТАТЕЛЬНЫХ АППАРАТОВ", "aircraft_parts", "3.B"),
    ("RIFLESCOPE 4-16X50", "weapon_sight_optics", "3.B"),
    ("ПРИЦЕЛ ОПТИЧЕСКИЙ", "weapon_sight_optics", "3.B"),
    ("NIGHT VISION MONOCULAR", "weapon_sight_optics", "3.B"),
    ("MEMS GYROSCOPE MODULE", "navigation_instrument", "3.B"),
    ("ГИРОСКОП", "navigation_instrument", "3.B"),
    # tier 4.A
    ("PRINTED CIRCUIT BOARDS", "printed_circuit_board", "4.A"),
    ("ПЛАТЫ ПЕЧАТНЫЕ", "printed_circuit_board", "4.A"),
    ("PCB ASSEMBLY", "printed_circuit_board", "4.A"),
    ("WIRE BONDER FOR SEMICONDUCTOR", "semiconductor_equipment", "4.A"),
    ("DIGITAL OSCILLOSCOPE RIGOL DS1054Z", "oscilloscope", "4.A"),
    ("ОСЦИЛЛОГРАФ ЦИФРОВОЙ", "oscilloscope", "4.A"),
    ("示波器", "oscilloscope", "4.A"),
    ("RF SIGNAL GENERATOR 6GHZ", "signal_generator", "4.A"),
    ("ГЕНЕРАТОР СИГНАЛОВ", "signal_generator", "4.A"),
    ("DIGITAL MULTIMETER WITH DATA LOGGING", "electrical_test_instrument", "4.A"),
    ("SPECTRUM ANALYZER", "electrical_test_instrument", "4.A"),
    # tier 4.B
    ("VERTICAL MACHINING CENTER CNC", "machining_centre", "4.B"),
    ("ЦЕНТРЫ ОБРАБАТЫВАЮЩИЕ", "machining_centre", "4.B"),
    ("CENTR OBRABATYVAYUSHCHIY", None, None),  # transliteration without a rule: no guess
    ("加工中心", "machining_centre", "4.B"),
    ("CNC LATHE HORIZONTAL", "cnc_lathe", "4.B"),
    ("СТАНКИ ТОКАРНЫЕ С ЧПУ", "cnc_lathe", "4.B"),
    ("СТАНОК ФРЕЗЕРНЫЙ С ЧПУ", "cnc_machine_tool", "4.B"),
    ("数控铣床", "cnc_machine_tool", "4.B"),
    ("PARTS FOR MACHINE TOOLS, SPINDLES AND TOOL HOLDERS", "machine_tool_parts", "4.B"),
    ("ЧАСТИ И ПРИНАДЛЕЖНОСТИ ДЛЯ СТАНКОВ", "machine_tool_parts", "4.B"),
    # Ukrainian and Turkish customs wording
    ("МІКРОСХЕМИ ІНТЕГРАЛЬНІ", "integrated_circuit", "1"),
    ("MIKPOCXEMИ", "integrated_circuit", "1"),  # Latin M, I, K, P, O, C, X, E
    ("ПІДШИПНИКИ КУЛЬКОВІ РАДІАЛЬНІ", "ball_bearing", "3.B"),
    ("ТЕПЛОВІЗОР", "camera", "3.A"),
    ("ВЕРСТАТ ТОКАРНИЙ З ЧПК", "cnc_lathe", "4.B"),
    ("ENTEGRE DEVRELER", "integrated_circuit", "1"),
    ("BİLYALI RULMAN 6205", "ball_bearing", "3.B"),
    ("İNSANSIZ HAVA ARACI PARÇALARI", "uav", "3.B"),
    ("OSİLOSKOP", "oscilloscope", "4.A"),
]

# Clean goods whose words come close to a rule: nothing may fire.
NEGATIVE = [
    "GLAZED PORCELAIN TILES 60X60 RECTIFIED",
    "MENS T-SHIRTS KNITTED COTTON",
    "STAINLESS STEEL KITCHENWARE, STEEL COOKWARE",
    "ПОСУДА ИЗ НЕРЖАВЕЮЩЕЙ СТАЛИ",
    "LED LAMPS E27 10W",
    "LIGHT EMITTING DIODES",
    "СВЕТОДИОДЫ",
    "СВЕТОДИОДНАЯ ЛЕНТА",
    "DDR4 MEMORY MODULE 8GB",
    "MICRO SD MEMORY CARD 64GB",
    "USB FLASH DRIVE 32GB",
    "LAPTOP COMPUTERS",
    "ВЫЧИСЛИТЕЛЬНЫЕ МАШИНЫ ПОРТАТИВНЫЕ",
    "PARTS OF INTEGRATED CIRCUITS, LEAD FRAMES FOR IC",
    "ЧАСТИ ИНТЕГРАЛЬНЫХ СХЕМ",
    "SMART CARDS WITH IC",
    "BALL BEARING DRAWER SLIDES 450MM",
    "LOAD BEARING WALL PANELS",
    "BALL VALVES, INDUSTRIAL VALVES",
    "КРАНЫ ШАРОВЫЕ",
    "ROUTER BITS FOR WOOD",
    "CNC CUT MARBLE MOSAIC",
    "CNC MACHINED ALUMINIUM PARTS",
    "INVERTER AIR CONDITIONER 12000 BTU",
    "WELDING INVERTER MMA-200",
    "WOODEN CHIPS FOR SMOKING",
    "POTATO CHIPS",
    "CHOCOLATE CHIP COOKIES",
    "HOSE CONNECTORS FOR GARDEN",
    "CAMERA BAG LEATHER",
    "SMARTPHONES, MOBILE PHONES",
    "ELECTRONIC COMPONENTS",
    "SPARE PARTS",
    "ЗАПАСНЫЕ ЧАСТИ",
    "GYROS MEAT KEBAB",
    "AERIAL WORK PLATFORM",
    "DIODE LASER HAIR REMOVAL MACHINE",
    "KITCHEN KNIFE SET WITH HOLDER",
    "Waste oils containing polychlorinated biphenyls (PCBs)",
    "Capacitors, other than tantalum",
    "КАБЕЛЬ ДЛЯ ПЕРЕДАЧИ ДАННЫХ USB",
    "LITHOGRAPHIC PRINTS",
    "ELECTRICAL CONTROL PANELS, SWITCHBOARDS",
    "СВІТЛОДІОДИ",
    "ПЛИТКА КЕРАМІЧНА ГЛАЗУРОВАНА",
    "SIRLI SERAMİK KARO",
]


@pytest.mark.parametrize(("description", "rule", "tier"), POSITIVE)
def test_positive_descriptions(description: str, rule: str | None, tier: str | None) -> None:
    row = classify_descriptions([description]).to_pylist()[0]
    assert (row["description_rule"], row["description_tier"]) == (rule, tier), row
    if rule:
        assert row["description_phrase"]
        assert row["description_signal"] == DESCRIPTION_ONLY


def test_negative_descriptions() -> None:
    result = classify_descriptions(NEGATIVE)
    fired = [
        (d, r, p)
        for d, r, p in zip(
            NEGATIVE,
            result["description_rule"].to_pylist(),
            result["description_phrase"].to_pylist(),
            strict=True,
        )
        if r is not None
    ]
    assert fired == []


def test_every_rule_has_a_positive_case() -> None:
    covered = {rule for _, rule, _ in POSITIVE}
    assert {r.id for r in load_description_rules().rules} <= covered


def test_vendor_sample_descriptions_give_no_hit() -> None:
    """Every description cell of the real vendor samples (tiles, T-shirts, kitchenware)."""
    folder = shared_path("trade", "vendor_samples_csv")
    values: set[str] = set()
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            columns = [c for c in reader.fieldnames or [] if "DESCRIPTION" in c.upper()]
            for row in reader:
                values.update(row[c] for c in columns if row[c])
    assert len(values) > 900  # all of them, in Russian, Ukrainian, Turkish, Mongolian, English
    result = classify_descriptions(sorted(values))
    hits = pc.drop_null(result["description_rule"])
    assert len(hits) == 0, [
        v for v, r in zip(sorted(values), result["description_rule"].to_pylist(), strict=True) if r
    ]


# --------------------------------------------------------------------------------------------
# Signals: description against the declared code


@pytest.mark.parametrize(
    ("description", "hs6", "status", "signal", "words"),
    [
        ("MICROCONTROLLER STM32", "940360", "valid", POSSIBLE_MISDECLARATION, ["HS 940360"]),
        ("MICROCONTROLLER STM32", "854231", "valid", CONSISTENT, ["agrees"]),
        ("GNSS ANTENNA", "852910", "valid", CONSISTENT, ["GNSS"]),  # antenna rule agrees
        ("BALL BEARINGS", "854231", "valid", OTHER_CHPL_CODE, ["CHPL code for other goods"]),
        ("PARTS OF INTEGRATED CIRCUITS", "854290", "valid", None, []),
        ("MEMORY INTEGRATED CIRCUITS", "854290", "valid", CONSISTENT, ["8542.32"]),
        ("ПОДШИПНИКИ ШАРИКОВЫЕ", None, "invalid", POSSIBLE_MISDECLARATION, ["invalid"]),
        ("ПОДШИПНИКИ ШАРИКОВЫЕ", None, "missing", DESCRIPTION_ONLY, ["no HS code declared"]),
        ("CERAMIC TILES", "690721", "valid", None, []),
    ],
)
def test_signal_against_declared_code(
    description: str, hs6: str | None, status: str, signal: str | None, words: list[str]
) -> None:
    row = classify_descriptions([description], [hs6], hs_status=[status]).to_pylist()[0]
    assert row["description_signal"] == signal
    for word in words:
        assert word in row["description_reason"]


def test_columns_align_with_input_and_nulls() -> None:
    descriptions = pa.chunked_array([["TANTALUM CAPACITORS", None], ["", "TOYS"]])
    result = classify_descriptions(descriptions, pa.array(["853221", None, None, "950300"]))
    assert result.column_names == list(DESCRIPTION_COLUMNS)
    assert result.num_rows == 4
    assert result["description_signal"].to_pylist() == [CONSISTENT, None, None, None]


def test_without_codes_every_hit_is_description_only() -> None:
    result = classify_descriptions(["OSCILLOSCOPE", "ТЕПЛОВИЗОР", "APPLES"])
    assert result["description_signal"].to_pylist() == [DESCRIPTION_ONLY, DESCRIPTION_ONLY, None]
    assert "no HS code to compare" in result["description_reason"][0].as_py()


def test_highest_tier_wins_when_several_rules_fire() -> None:
    # integrated circuit (1) + transceiver (2): the IC rule is reported
    row = classify_descriptions(["INTERFACE IC TRANSCEIVER"]).to_pylist()[0]
    assert (row["description_rule"], row["description_tier"]) == ("integrated_circuit", "1")


def test_sample_catalogue_descriptions_agree_with_their_codes() -> None:
    """The synthetic generator's catalogue: no description contradicts its own code."""
    goods = load_sample_vocabulary()["goods"]
    texts, codes = [], []
    for hs6, entry in goods.items():
        for text in (entry.get("en") or []) + (entry.get("ru") or []):
            texts.append(text)
            codes.append(hs6)
    result = classify_descriptions(texts, codes)
    signals = result["description_signal"].to_pylist()
    wrong = [
        (t, c, s)
        for t, c, s in zip(texts, codes, signals, strict=True)
        if s not in (None, CONSISTENT)
    ]
    assert wrong == []
    chpl = set(load_chpl()["hs6"].to_pylist())
    chpl_texts = [s for c, s in zip(codes, signals, strict=True) if c in chpl]
    assert chpl_texts.count(CONSISTENT) / len(chpl_texts) > 0.8


def test_hs_nomenclature_texts_agree_with_their_own_codes() -> None:
    """HS2022 subheading texts (which vendors copy) under their own codes are never flagged."""
    table = pacsv.read_csv(
        REFERENCE_DIR / "hs" / "hs2022_nomenclature.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={"hscode": pa.string(), "level": pa.string()}
        ),
    )
    six = table.filter(pc.equal(table["level"], "6"))
    result = classify_descriptions(six["description"], six["hscode"])
    flagged = {
        code
        for code, signal in zip(
            six["hscode"].to_pylist(), result["description_signal"].to_pylist(), strict=True
        )
        if signal in (POSSIBLE_MISDECLARATION, OTHER_CHPL_CODE)
    }
    # 8514.19 names furnaces "for the manufacture of semiconductor devices": 8486 goods indeed
    assert flagged <= {"851419"}
    consistent = result["description_signal"].to_pylist().count(CONSISTENT)
    assert consistent >= 80


# --------------------------------------------------------------------------------------------
# The rules file


def test_rule_tiers_and_prefixes_match_the_chpl_and_hs_nomenclature() -> None:
    chpl = {r["hs6"]: r["tier"] for r in load_chpl().to_pylist()}
    known: set[str] = set()
    for edition in ("hs2022", "hs2017"):
        hs = pacsv.read_csv(
            REFERENCE_DIR / "hs" / f"{edition}_nomenclature.csv",
            convert_options=pacsv.ConvertOptions(column_types={"hscode": pa.string()}),
        )
        known |= set(hs["hscode"].to_pylist())
    for rule in load_description_rules().rules:
        assert set(rule.hs_prefixes) <= known, rule.id
        covered = {t for code, t in chpl.items() if code.startswith(rule.hs_prefixes)}
        assert rule.tier in covered, (rule.id, rule.tier, covered)


def _write_rules(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text("rules:\n" + body, encoding="utf-8")
    return path


GOOD_RULE = """  - id: ok
    tier: "1"
    hs_prefixes: ["8542"]
    patterns: {en: ['chip ics?']}
"""


@pytest.mark.parametrize(
    ("bad", "column", "message"),
    [
        ('    tier: "5"\n    hs_prefixes: ["8542"]\n    patterns: {en: [x]}\n', "tier", "tier"),
        ('    tier: "1"\n    hs_prefixes: ["85"]\n    patterns: {en: [x]}\n', "hs_prefixes", "85"),
        (
            '    tier: "1"\n    hs_prefixes: ["8542"]\n    patterns: {en: [\'(x\']}\n',
            "patterns",
            "RE2",
        ),
        (
            '    tier: "1"\n    hs_prefixes: ["8542"]\n    patterns: {en: [MCU]}\n',
            "patterns",
            "lower",
        ),
        ('    tier: "1"\n    hs_prefixes: ["8542"]\n    patterns: {xx: [x]}\n', "patterns", "xx"),
    ],
)
def test_bad_rules_name_file_line_and_field(
    tmp_path: Path, bad: str, column: str, message: str
) -> None:
    path = _write_rules(tmp_path, GOOD_RULE + "  - id: bad\n" + bad)
    with pytest.raises(ListParseError) as caught:
        load_description_rules(path)
    error = caught.value
    assert error.file == str(path)
    assert error.row == 6  # the line where the bad rule starts
    assert error.column == column
    assert message in str(error)


def test_duplicate_rule_id_is_an_error(tmp_path: Path) -> None:
    path = _write_rules(tmp_path, GOOD_RULE + GOOD_RULE)
    with pytest.raises(ListParseError, match="duplicate rule id 'ok'"):
        load_description_rules(path)


def test_custom_rules_file_is_used(tmp_path: Path) -> None:
    rules = load_description_rules(_write_rules(tmp_path, GOOD_RULE))
    result = classify_descriptions(["CHIP ICS", "MICROCONTROLLER"], rules=rules)
    assert result["description_rule"].to_pylist() == ["ok", None]


# --------------------------------------------------------------------------------------------
# Normalisation


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("MИKPOCXEMA", " микросхема "),  # Latin look-alikes inside a Cyrillic word
        ("МОSFЕТ", " mosfet "),  # Cyrillic М, Е, Т inside a Latin word
        ("РАЗЪЁМ,USB-C", " разъем usb c "),
        ("集成电路IC芯片", " 集 成 电 路 ic 芯 片 "),
        ("ＦＰＧＡ", " fpga "),  # full-width letters
    ],
)
def test_normalise_texts(raw: str, normalised: str) -> None:
    assert normalise_texts([raw]).to_pylist() == [normalised]
