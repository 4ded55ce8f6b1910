"""The pass list: CSV drop folder and database view, bad rows, the newest file, a list that must not wipe the old."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, text

from connectors.passes import PassListSettings, parse_csv, source_for
from hub.errors import PermanentError


def test_csv_rows_statuses_and_refused_lines() -> None:
    listed = parse_csv("Pasnummer;Status;Bezoeken\nMP-1;geldig;3\nMP-2;Vervallen;\nMP-3;raar;0\n;geldig;0\n"
                       "MP-5;geldig;-1\n", "drop.csv")
    assert [(p.pass_number, p.status, p.visits_used) for p in listed.passes] == [
        ("MP-1", "valid", 3), ("MP-2", "void", 0)]
    assert [p.split(":")[1] for p in listed.problems] == ["4", "5", "6"]
    assert not any("MP-3" in p or "MP-5" in p for p in listed.problems)  # line numbers, not the content


def test_csv_without_the_columns_is_refused() -> None:
    with pytest.raises(PermanentError, match="pasnummer and status"):
        parse_csv("nummer;geldig\n1;ja\n", "drop.csv")


def test_folder_takes_the_newest_complete_file(tmp_path: Path) -> None:
    (tmp_path / "milieupassen_20270101T060000.csv").write_text("pasnummer;status\nOLD;geldig\n")
    (tmp_path / "milieupassen_20270102T060000.csv").write_text("pasnummer;status\nNEW;geldig\n")
    (tmp_path / "milieupassen_20270103T060000.csv.part").write_text("pasnummer;status\nHALF;geldig\n")
    source = source_for(PassListSettings(source="folder", folder=str(tmp_path)))
    assert [p.pass_number for p in source.fetch().passes] == ["NEW"]
    with pytest.raises(PermanentError, match="no pass list"):
        source_for(PassListSettings(source="folder", folder=str(tmp_path), file_pattern="other_*.csv")).fetch()
    with pytest.raises(PermanentError, match="not a folder"):
        source_for(PassListSettings(source="folder", folder=str(tmp_path / "missing"))).fetch()


def test_database_view(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/waste.db"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE passen (nr TEXT, st TEXT, n INTEGER)"))
        conn.execute(text("INSERT INTO passen VALUES ('MP-1', 'geldig', 2), ('MP-2', 'vervallen', NULL), "
                          "('MP-3', '?', 0)"))
        conn.execute(text("CREATE VIEW milieupassen AS SELECT nr AS pasnummer, st AS status, n AS bezoeken "
                          "FROM passen"))
    engine.dispose()
    listed = source_for(PassListSettings(source="view", view_url=SecretStr(url))).fetch()
    assert [(p.pass_number, p.status, p.visits_used) for p in listed.passes] == [
        ("MP-1", "valid", 2), ("MP-2", "void", 0)]
    assert listed.problems == ["milieupassen row 3: refused"]
    with pytest.raises(PermanentError, match="plain"):
        source_for(PassListSettings(source="view", view_url=SecretStr(url), view_name="x; DROP TABLE passen"))
    assert source_for(PassListSettings()).fetch().passes == []
