"""How the kiosk's shell modules hang together."""

from __future__ import annotations

import ast
from pathlib import Path

import kiosk.app
import kiosk.ui.gallery


def _imports(module: object) -> set[str]:
    """Every module ``module`` names in an import, at any depth (functions, TYPE_CHECKING)."""
    tree = ast.parse(Path(str(getattr(module, "__file__", ""))).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_gallery_and_the_app_do_not_import_each_other() -> None:
    """``lobbyq kiosk --screenshots`` (``kiosk.cli``) joins them; neither needs the other."""
    assert "kiosk.app" not in _imports(kiosk.ui.gallery)
    assert "kiosk.ui.gallery" not in _imports(kiosk.app)
