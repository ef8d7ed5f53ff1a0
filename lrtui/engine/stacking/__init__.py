"""Stacking a batch's outputs (least frequency of occurrence first): which machines printed the same thing,
which lines are rare, which values of a column only a few machines have, and how one machine differs from
the majority. Plain functions over the evidence files, streamed line by line (no Textual, no I/O but reads).
"""

from lrtui.engine.stacking.glance import FileGroup, Glance, glance
from lrtui.engine.stacking.groups import OutputGroup, group_and_stack, group_outputs, is_outlier
from lrtui.engine.stacking.lines import LineStack, LineStacks, stack_lines
from lrtui.engine.stacking.majority import diff_against_majority
from lrtui.engine.stacking.masks import DEFAULT_MASKS, MASKS, Mask, Masker, display
from lrtui.engine.stacking.outputs import MachineOutput, iter_lines
from lrtui.engine.stacking.table import (
    MACHINE_COLUMN,
    TableFormat,
    ValueStack,
    csv_safe,
    detect_format,
    iter_table_rows,
    rows_of,
    stack_column,
    table_columns,
)

__all__ = [
    "DEFAULT_MASKS",
    "MACHINE_COLUMN",
    "MASKS",
    "FileGroup",
    "Glance",
    "LineStack",
    "LineStacks",
    "MachineOutput",
    "Mask",
    "Masker",
    "OutputGroup",
    "TableFormat",
    "ValueStack",
    "csv_safe",
    "detect_format",
    "diff_against_majority",
    "display",
    "glance",
    "group_and_stack",
    "group_outputs",
    "is_outlier",
    "iter_lines",
    "iter_table_rows",
    "rows_of",
    "stack_column",
    "stack_lines",
    "table_columns",
]
