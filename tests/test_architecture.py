"""The layout a newcomer relies on: claims/ by capability, every queued task name registered.

The import rules themselves (no cycles, claims never imports reviews, nothing imports a tasks
module) are `.importlinter`'s, checked by `lint-imports` in `make test`.
"""

import ast
from pathlib import Path

from factcheck.celery import app

ROOT = Path(__file__).resolve().parent.parent
CAPABILITIES = ("intake", "sources", "articles", "matching")


def test_claims_is_split_by_capability():
    claims = ROOT / "claims"
    modules = sorted(p.name for p in claims.glob("*.py"))
    assert len(modules) <= 15, modules
    for name in CAPABILITIES:
        package = claims / name
        assert (package / "__init__.py").exists(), f"claims/{name}/ is not a package"
        assert (package / "services.py").exists() or name == "sources", f"claims/{name}/ has no services"
        assert (ROOT / "tests" / "claims" / name).is_dir(), f"tests/claims/{name}/ does not mirror claims/{name}/"


def _task_names_sent() -> set[str]:
    """Every ``*_TASK = "..."`` constant: the names services hand to ``factcheck.queue.tasks_send``."""
    names = set()
    for path in [*ROOT.glob("claims/**/*.py"), *ROOT.glob("reviews/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id.endswith("_TASK"):
                        names.add(node.value.value)
    return names


def test_every_task_name_sent_by_a_service_is_a_registered_task():
    app.loader.import_default_modules()
    sent = _task_names_sent()
    assert len(sent) >= 6
    assert sent <= set(app.tasks), sent - set(app.tasks)
