"""The layer rules of ARCHITECTURE.md, enforced by walking every import in src/modelreg."""

import ast
import sys
from pathlib import Path

import pytest

import modelreg

SOURCE = Path(modelreg.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports (top level or inside functions), relative ones resolved;
    ``from a import b`` yields both ``a`` and ``a.b``."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *filter(None, [base])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


IMPORTS = {module_name(path): imports_of(path) for path in sorted(SOURCE.rglob("*.py"))}


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(layer: str, forbidden: list[str]) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for module, names in IMPORTS.items()
        if within(module, layer)
        for name in names
        if any(within(name, bad) for bad in forbidden)
    )


def test_walker_sees_the_source_tree():
    assert {"modelreg.domain.rules", "modelreg.service.uploads", "modelreg.server.app"} <= set(
        IMPORTS
    )
    assert "fastapi" in IMPORTS["modelreg.server.app"]
    assert "modelreg.domain.errors.InvalidArgumentError" in IMPORTS["modelreg.domain.digests"]
    assert violations("modelreg.server", ["fastapi"])


def test_domain_imports_only_the_standard_library_and_itself():
    bad = sorted(
        f"{module} imports {name}"
        for module, names in IMPORTS.items()
        if within(module, "modelreg.domain")
        for name in names
        if not within(name, "modelreg.domain") and name.split(".")[0] not in sys.stdlib_module_names
    )
    assert bad == []


SERVICE_FORBIDDEN = [
    "fastapi",
    "starlette",
    "sqlalchemy",
    "boto3",
    "httpx",
    "modelreg.server",
    "modelreg.store.sql",
    "modelreg.blobs.local",
    "modelreg.blobs.s3",
]


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("modelreg.service", SERVICE_FORBIDDEN),
        ("modelreg.client", ["modelreg.server", "fastapi"]),
        ("modelreg.store", ["modelreg.client", "modelreg.server", "modelreg.service"]),
        ("modelreg.blobs", ["modelreg.client", "modelreg.server", "modelreg.service"]),
    ],
)
def test_layer_does_not_import_upwards(layer, forbidden):
    assert violations(layer, forbidden) == []


def test_public_names_are_sorted_unique_and_resolve():
    assert modelreg.__all__ == sorted(modelreg.__all__)
    assert len(set(modelreg.__all__)) == len(modelreg.__all__)
    for name in modelreg.__all__:
        assert getattr(modelreg, name) is not None, name
