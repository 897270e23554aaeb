"""EU Financial Sanctions Files XML 1.1: a small publication written in the published structure.

No FSF XML is in ../shared (every public copy found is over 4 MiB), so the fixture below holds
three real entries (Saddam Hussein, Kalashnikov Concern, Viktor Sheiman) the way the FSF's
``xmlFullSanctionsList_1_1`` export writes them: the ``export`` root in the FSF namespace,
``sanctionEntity`` with ``regulation`` (and its ``publicationUrl``), ``subjectType``,
``nameAlias`` (with ``regulationSummary``), ``address``, ``birthdate``, ``identification`` and
``citizenship``, all attributes, with ``remark`` children. The CSV test (test_eu_fsf_csv.py)
holds the same entries flattened; both must give the same table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screening.errors import ListParseError
from screening.lists import FORMATS, detect_list_format, parse_list_files
from screening.lists.parsers.eu_fsf_xml import looks_like_eu_fsf_xml, parse_eu_fsf_xml
from screening.lists.store.sources import load_list_sources
from screening.schema import LIST_ENTRY_SCHEMA
from tests.lists.test_eu_fsf_csv import ROWS, _write

RS = (
    '<regulationSummary regulationType="regulation" publicationDate="{date}" '
    'numberTitle="{title}" publicationUrl="http://eur-lex.europa.eu/legal-content/EN/TXT/PDF/'
    '?uri=CELEX:{celex}&amp;from=EN"/>'
)
SADDAM_RS = RS.format(date="2003-07-08", title="1210/2003 (OJ L169)", celex="32003R1210")
KALASHNIKOV_RS = RS.format(date="2022-07-21", title="2022/1270 (OJ L193)", celex="32022R1270")
SHEIMAN_RS = RS.format(date="2006-05-20", title="765/2006 (OJ L134)", celex="32006R0765")

FSF_XML = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2022-10-28T17:05:46.109+02:00" globalFileId="152433">
    <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.27.28" logicalId="13">
        <remark>(UNSC RESOLUTION 1483)</remark>
        <regulation regulationType="regulation" organisationType="commission" publicationDate="2003-07-08" entryIntoForceDate="2003-07-07" numberTitle="1210/2003 (OJ L169)" programme="IRQ" logicalId="348">
            <publicationUrl>http://eur-lex.europa.eu/LexUriServ/LexUriServ.do?uri=OJ:L:2003:169:0006:0023:EN:PDF</publicationUrl>
        </regulation>
        <subjectType code="person" classificationCode="P"/>
        <nameAlias firstName="Saddam" middleName="" lastName="Hussein Al-Tikriti" wholeName="Saddam Hussein Al-Tikriti" function="" gender="M" title="" nameLanguage="" strong="true" regulationLanguage="en" logicalId="17">
            {SADDAM_RS}
        </nameAlias>
        <nameAlias firstName="" middleName="" lastName="" wholeName="Abu Ali" function="" title="" nameLanguage="" strong="true" regulationLanguage="en" logicalId="18">
            {SADDAM_RS}
        </nameAlias>
        <nameAlias firstName="" middleName="" lastName="" wholeName="Abou Ali" function="" title="" nameLanguage="" strong="true" regulationLanguage="en" logicalId="19">
            {SADDAM_RS}
        </nameAlias>
        <birthdate circa="false" calendarType="GREGORIAN" city="al-Awja, near Tikrit" zipCode="" birthdate="1937-04-28" dayOfMonth="28" monthOfYear="4" year="1937" region="" place="" countryIso2Code="IQ" countryDescription="IRAQ" regulationLanguage="en" logicalId="20">
            {SADDAM_RS}
        </birthdate>
        <citizenship region="" countryIso2Code="IQ" countryDescription="IRAQ" regulationLanguage="en" logicalId="21">
            {SADDAM_RS}
        </citizenship>
    </sanctionEntity>
    <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.7508.38" designationDate="2022-07-21" logicalId="139213">
        <regulation regulationType="regulation" organisationType="council" publicationDate="2022-07-21" entryIntoForceDate="" numberTitle="2022/1270 (OJ L193)" programme="UKR" logicalId="139212">
            <publicationUrl>https://eur-lex.europa.eu/legal-content/EN/TXT/PDF/?uri=CELEX:32022R1270</publicationUrl>
        </regulation>
        <subjectType code="enterprise" classificationCode="E"/>
        <nameAlias firstName="" middleName="" lastName="" wholeName="Joint Stock Company Kalashnikov Concern" function="" title="" nameLanguage="EN" strong="true" regulationLanguage="en" logicalId="139214">
            {KALASHNIKOV_RS}
        </nameAlias>
        <nameAlias firstName="" middleName="" lastName="" wholeName="Акционерное общество «Концерн «Калашников»" function="" title="" nameLanguage="RU" strong="true" regulationLanguage="en" logicalId="139215">
            {KALASHNIKOV_RS}
        </nameAlias>
        <nameAlias firstName="" middleName="" lastName="" wholeName="Kalashnikov" function="" title="" nameLanguage="" strong="false" regulationLanguage="en" logicalId="139216">
            <remark>Low quality alias</remark>
            {KALASHNIKOV_RS}
        </nameAlias>
        <address city="Izhevsk" street="Deryabin Passage 3B" poBox="" zipCode="426006" region="" place="" asAtListingTime="false" contactInfo="" countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" regulationLanguage="en" logicalId="139219">
            {KALASHNIKOV_RS}
        </address>
        <identification diplomatic="false" knownExpired="false" knownFalse="false" reportedLost="false" revokedByIssuer="false" issuedBy="" latinNumber="" nameOnDocument="" number="1111832003018" region="" countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" identificationTypeCode="regnumber" identificationTypeDescription="Primary State Registration Number" regulationLanguage="en" logicalId="139220">
            {KALASHNIKOV_RS}
        </identification>
        <identification diplomatic="false" knownExpired="false" knownFalse="false" reportedLost="false" revokedByIssuer="false" issuedBy="" latinNumber="" nameOnDocument="" number="1832090230" region="" countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" identificationTypeCode="fiscalcode" identificationTypeDescription="Tax Identification Number" regulationLanguage="en" logicalId="139221">
            {KALASHNIKOV_RS}
        </identification>
    </sanctionEntity>
    <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.2212.67" designationDate="2004-09-24" logicalId="140001">
        <regulation regulationType="regulation" organisationType="council" publicationDate="2006-05-20" entryIntoForceDate="" numberTitle="765/2006 (OJ L134)" programme="BLR" logicalId="140000">
            <publicationUrl>http://eur-lex.europa.eu/LexUriServ/LexUriServ.do?uri=OJ:L:2006:134:0001:0011:EN:PDF</publicationUrl>
        </regulation>
        <subjectType code="person" classificationCode="P"/>
        <nameAlias firstName="Viktar" middleName="Uladzimiravich" lastName="SHEIMAN" wholeName="Viktar Uladzimiravich SHEIMAN" function="Head of the Presidential Property Management Directorate" gender="M" title="" nameLanguage="" strong="true" regulationLanguage="en" logicalId="140002">
            {SHEIMAN_RS}
        </nameAlias>
        <nameAlias firstName="Виктор" middleName="Владимирович" lastName="ШЕЙМАН" wholeName="Виктор Владимирович ШЕЙМАН" function="" gender="M" title="" nameLanguage="RU" strong="true" regulationLanguage="en" logicalId="140003">
            {SHEIMAN_RS}
        </nameAlias>
        <identification diplomatic="false" knownExpired="false" knownFalse="false" reportedLost="false" revokedByIssuer="false" issuedBy="" latinNumber="" nameOnDocument="" number="MP2156098" region="" countryIso2Code="BY" countryDescription="BELARUS" identificationTypeCode="passport" identificationTypeDescription="National passport" regulationLanguage="en" logicalId="140004">
            {SHEIMAN_RS}
        </identification>
        <citizenship region="" countryIso2Code="BY" countryDescription="BELARUS" regulationLanguage="en" logicalId="140005">
            {SHEIMAN_RS}
        </citizenship>
    </sanctionEntity>
</export>
"""  # noqa: E501 - the published layout: one element per line


@pytest.fixture
def xml_file(tmp_path: Path) -> Path:
    path = tmp_path / "20221028-FULL-1_1.xml"
    path.write_text(FSF_XML, encoding="utf-8")
    return path


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values(["source_id", "name"]).reset_index(drop=True)
    for column in ("programs", "countries", "addresses", "related"):
        frame[column] = frame[column].map(list)
    frame["identifiers"] = frame["identifiers"].map(
        lambda ids: sorted((i["scheme"], i["value"]) for i in ids)
    )
    return frame


def test_detected_and_registered(xml_file: Path) -> None:
    assert looks_like_eu_fsf_xml(xml_file)
    assert detect_list_format(xml_file) == "eu_fsf_xml"
    assert "eu_fsf_xml" in FORMATS
    source = load_list_sources()["eu_fsf_xml"]
    assert source.format == "eu_fsf_xml" and source.provides == ("eu_fsf",)
    assert "xmlFullSanctionsList_1_1" in source.files[0].url


def test_entities_names_and_parts(xml_file: Path) -> None:
    table = parse_eu_fsf_xml(xml_file)
    assert table.schema == LIST_ENTRY_SCHEMA
    fsf = table.to_pandas()
    names = {(r.source_id, r.name, r.name_kind) for r in fsf.itertuples()}
    assert names == {
        ("13", "Saddam Hussein Al-Tikriti", "primary"),
        ("13", "Abu Ali", "alias"),
        ("13", "Abou Ali", "alias"),
        ("139213", "Joint Stock Company Kalashnikov Concern", "primary"),
        ("139213", "Акционерное общество «Концерн «Калашников»", "alias"),
        ("139213", "Kalashnikov", "weak_alias"),
        ("140001", "Viktar Uladzimiravich SHEIMAN", "primary"),
        ("140001", "Виктор Владимирович ШЕЙМАН", "alias"),
    }
    party = fsf.drop_duplicates("source_id").set_index("source_id")
    kalashnikov = party.loc["139213"]
    assert {(i["scheme"], i["value"]) for i in kalashnikov["identifiers"]} == {
        ("OGRN", "1111832003018"),
        ("INN", "1832090230"),
        ("EU_REFERENCE_NUMBER", "EU.7508.38"),
    }
    assert list(kalashnikov["programs"]) == ["EU-UKR", "2022/1270 (OJ L193)"]
    assert kalashnikov["entity_type"] == "entity"
    assert party.loc["13"]["entity_type"] == "individual"
    assert "Born: 1937-04-28" in party.loc["13"]["remarks"]
    assert set(fsf["list_version"]) == {"2022-10-28"}  # the root's generationDate


def test_xml_and_csv_of_one_publication_give_the_same_table(xml_file: Path, tmp_path: Path) -> None:
    csv_file = _write(tmp_path / "20221028-FULL-1_1.csv", ROWS)
    from_csv = _sorted(parse_list_files([csv_file]).to_pandas())
    from_xml = _sorted(parse_list_files([xml_file]).to_pandas())
    pd.testing.assert_frame_equal(from_xml, from_csv)


def test_broken_xml_names_the_place(tmp_path: Path) -> None:
    cut = tmp_path / "cut.xml"
    cut.write_text(FSF_XML[: len(FSF_XML) // 2], encoding="utf-8")
    with pytest.raises(ListParseError, match=r"malformed XML at line \d+.*after <sanctionEntity"):
        parse_eu_fsf_xml(cut)
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE export [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<export xmlns="http://eu.europa.ec/fpi/fsd/export"><sanctionEntity logicalId="1">'
        '<nameAlias wholeName="&b;"/></sanctionEntity></export>',
        encoding="utf-8",
    )
    with pytest.raises(ListParseError, match="refused: the XML declares entities"):
        parse_eu_fsf_xml(bomb)
    empty = tmp_path / "empty.xml"
    empty.write_text('<export xmlns="http://eu.europa.ec/fpi/fsd/export"/>', encoding="utf-8")
    with pytest.raises(ListParseError, match="no <sanctionEntity>"):
        parse_eu_fsf_xml(empty)
