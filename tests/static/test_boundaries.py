"""The parts meet only through the contracts: the gateway and every service import nothing of another service,
only `services.contracts` and `services.common`; the shared package knows no service; the contracts know only
themselves."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = {"contracts", "common"}


def imported_parts(path: Path) -> set[str]:
    """The `services.<part>` packages a module imports."""
    parts = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
        for name in names:
            if name.startswith("services."):
                parts.add(name.split(".")[1])
            elif isinstance(node, ast.ImportFrom) and name == "services":
                parts.update(alias.name for alias in node.names)
    return parts


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def allowed(part: str) -> set[str]:
    return {"contracts"} if part == "contracts" else SHARED if part == "common" else SHARED | {part}


SERVICE_PARTS = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").exists())


@pytest.mark.parametrize("part", SERVICE_PARTS)
def test_a_service_imports_only_itself_the_contracts_and_the_shared_package(part):
    crossing = {str(path.relative_to(ROOT)): sorted(imported_parts(path) - allowed(part))
                for path in modules(f"services/{part}")}
    assert {path: parts for path, parts in crossing.items() if parts} == {}


def test_the_gateway_imports_only_the_contracts_and_the_shared_package():
    crossing = {str(path.relative_to(ROOT)): sorted(imported_parts(path) - SHARED) for path in modules("gateway")}
    assert {path: parts for path, parts in crossing.items() if parts} == {}


def test_the_check_sees_a_crossing_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("from services.help.domain import CATEGORIES\nimport services.spaces.models\n"
                      "from services import members\n")
    assert imported_parts(module) == {"help", "spaces", "members"}
