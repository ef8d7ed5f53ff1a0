"""The demo tenant's machines: :class:`MachineRec` (the wire entity plus simulation facts such as when the device
comes online, its OS family, whether live response is supported and the files scripts created on it), the
device groups, and :func:`generate_machines` (deterministic per seed, 100,000 machines in about 2 s).

Modules: ``machine`` (records and groups), ``catalogue`` (OS and profile tables), ``generate``."""

from __future__ import annotations

from .generate import generate_machines, pick_workshop_machine
from .machine import GROUPS, NEVER, CreatedFile, DeviceGroup, MachineRec, group_of

__all__ = [
    "GROUPS",
    "NEVER",
    "CreatedFile",
    "DeviceGroup",
    "MachineRec",
    "generate_machines",
    "group_of",
    "pick_workshop_machine",
]
