"""An import-linter contract type: the modules of ``source_modules`` may import, of the root package, only
``allowed_modules`` (each a package with its descendants) and their own package.

import-linter's ``forbidden`` contract names what may not be imported; the simulator's rule is the other way
round ("of lrtui, only ``api.models`` and ``api.enums``"), so a new module under ``lrtui.api`` is refused
without anyone having to remember to list it.
"""

from __future__ import annotations

from typing import Any

from importlinter import Contract, ContractCheck, fields, output


class AllowListContract(Contract):
    type_name = "allowlist"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_modules = fields.ListField(subfield=fields.ModuleField())

    def check(self, graph: Any, verbose: bool) -> ContractCheck:
        root = self.session_options["root_packages"][0] if self.session_options.get("root_packages") else "lrtui"
        allowed = [m.name for m in self.allowed_modules]  # type: ignore[attr-defined]
        sources = [m.name for m in self.source_modules]  # type: ignore[attr-defined]

        def ok(imported: str, source: str) -> bool:
            if not (imported == root or imported.startswith(root + ".")):
                return True  # outside the package: not this contract's business
            if imported == root:
                return True  # the package's own __init__ (version string)
            return any(imported == a or imported.startswith(a + ".") for a in [source, *allowed])

        broken: list[dict[str, Any]] = []
        for source in sources:
            importers = {source, *graph.find_descendants(source)}
            for importer in sorted(importers):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    if ok(imported, source):
                        continue
                    details = graph.get_import_details(importer=importer, imported=imported)
                    broken.append(
                        {
                            "importer": importer,
                            "imported": imported,
                            "lines": [d["line_number"] for d in details],
                        }
                    )
        return ContractCheck(kept=not broken, metadata={"broken": broken})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            lines = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(f"{item['importer']} -> {item['imported']} ({lines})", bold=False)
        output.new_line()
