"""The table mode's plain functions: the merged table read once (bounded), rows filtered and sorted (numbers as
numbers), a column's values stacked rarest first with machines and rows."""

from __future__ import annotations

from pathlib import Path

from lrtui.engine.stacking import MachineOutput
from lrtui.tui.widgets.stack.table_data import load_table, sort_rows, stack_values


def _outputs(tmp_path: Path, texts: dict[str, str]) -> list[MachineOutput]:
    out = []
    for name, text in texts.items():
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
        out.append(MachineOutput(name, tmp_path / f"{name}.txt"))
    return out


def test_merged_table_filter_sort_and_column_stack(tmp_path: Path) -> None:
    common = "Port,Process\n135,svchost.exe\n445,System\n"
    outputs = _outputs(tmp_path, {"ws1": common, "ws2": common, "ws3": common + "31337,upd.exe\n9,upd.exe\n",
                                  "lnx": '{"Port": 22, "Process": "sshd", "User": "root"}\n', "txt": "hello\n"})  # fmt: skip
    table = load_table(outputs)
    assert table is not None and table.columns == ("machine", "Port", "Process", "User") and table.cut == 0
    assert len(table.rows) == 9
    assert [r["machine"] for r in table.matching("UPD")] == ["ws3", "ws3"]
    ports = [r["Port"] for r in sort_rows(list(table.rows), "Port")]
    assert ports == ["9", "22", "135", "135", "135", "445", "445", "445", "31337"]  # numbers, not text
    assert sort_rows(list(table.rows), "Process", reverse=True)[0]["Process"] == "upd.exe"
    values = stack_values(table.rows, "Process")
    assert [(v.value, v.machines, v.rows) for v in values[:2]] == [("sshd", ("lnx",), 1), ("upd.exe", ("ws3",), 2)]
    assert values[-1].machines == ("ws1", "ws2", "ws3")
    bounded = load_table(outputs, limit=4)
    assert bounded is not None and len(bounded.rows) == 4 and bounded.cut == 5
    assert load_table(outputs[-1:]) is None  # plain text: not a table
