"""README is the front door: it must document every setting the code reads."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_environment_setting_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    settings_source = (ROOT / "factcheck" / "settings.py").read_text()
    procfile = (ROOT / "Procfile").read_text()
    names = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    names |= set(re.findall(r"\$\{([A-Z_]+):-", procfile))
    assert names, "no settings found: the pattern above is stale"
    table = "\n".join(line for line in readme.splitlines() if line.startswith("| `"))
    missing = sorted(name for name in names if f"`{name}`" not in table)
    assert not missing, f"settings missing from README's table: {missing}"


def test_readme_names_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
