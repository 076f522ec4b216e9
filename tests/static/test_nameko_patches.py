"""Nameko's own code is changed in one module only, services/common/nameko_patches.py, and explicitly."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATCHES = ROOT / "services" / "common" / "nameko_patches.py"


def nameko_names(tree: ast.Module) -> set[str]:
    """The names a module binds to Nameko's modules and classes (`from nameko import rpc`, `import nameko`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "nameko":
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names
                         if alias.name.split(".")[0] == "nameko")
    return names


def patched_targets(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = nameko_names(tree)
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            root = target
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(target, ast.Attribute) and isinstance(root, ast.Name) and root.id in names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(target)}")
    return found


def test_nothing_but_the_patches_module_assigns_to_nameko():
    sources = [p for folder in ("services", "gateway", "scripts") for p in (ROOT / folder).rglob("*.py")]
    assert [found for path in sources if path != PATCHES for found in patched_targets(path)] == []


def test_the_check_sees_a_patch():
    assert [found.split()[1] for found in patched_targets(PATCHES)] == [
        "publish.get_producer", "publish.get_producer", "nameko_rpc.MethodProxy.publisher_cls"]
