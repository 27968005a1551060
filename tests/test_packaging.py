"""What the services run is installed apart from what only tests and benchmarks need.

requirements.txt goes into the image and `make run`; requirements-dev.txt adds the test, benchmark
and browser-test tools for `make test` and `make bench*`. No Django:
`python -m pytest -p no:django tests/test_packaging.py`.
"""
from __future__ import annotations

import ast
import re
import sys
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution, packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("publishing", "moderation", "notifications", "search_indexer")
# Never in the image: the issue names the first three; the rest are test or benchmark tools too.
TEST_TOOLS = {
    "playwright", "schemathesis", "hypothesis", "pytest", "pytest-django", "pytest-timeout", "factory-boy",
    "aiosmtpd", "trustme", "pika", "faker", "greenlet",
}
# bin/ scripts import each other by name (bin/ is their sys.path[0]).
LOCAL = {"config", *SERVICES, "bench", "bin", "tests", "manage", *(p.stem for p in (ROOT / "bin").glob("*.py"))}


def requirement_lines(name: str) -> list[str]:
    lines = (ROOT / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def pinned(name: str) -> dict[str, Requirement]:
    return {canonicalize_name(Requirement(line).name): Requirement(line)
            for line in requirement_lines(name) if not line.startswith("-r")}


def runtime_sources() -> list[Path]:
    """Every module a service, the bus or a runtime script loads: not tests, benchmarks or test helpers."""
    sources = [ROOT / "manage.py", *(ROOT / "bin").glob("*.py")]
    for package in ("config", *SERVICES):
        sources += (ROOT / package).rglob("*.py")
    return [path for path in sources if "tests" not in path.relative_to(ROOT).parts
            and "bench" not in path.name and path.name not in ("testing.py", "conftest.py")]


@cache
def owners() -> dict[str, list[str]]:
    """Top-level module -> the installed distributions that provide it."""
    return packages_distributions()


def imported_distributions(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            if top in LOCAL or top in sys.stdlib_module_names:
                continue
            found |= {canonicalize_name(d) for d in owners().get(top, [top])}
    return found


def dependency_closure(roots: dict[str, Requirement]) -> set[str]:
    """The pinned runtime packages and everything they need, from the installed metadata."""
    seen: set[str] = set()
    todo = [(name, set(req.extras)) for name, req in roots.items()]
    while todo:
        name, extras = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        for line in requires:
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in {"", *extras}):
                todo.append((canonicalize_name(req.name), set(req.extras)))
    return seen


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_requirement_is_pinned(name):
    for line in requirement_lines(name):
        if line.startswith("-r"):
            continue
        specifiers = list(Requirement(line).specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", f"{name}: {line!r} is not pinned with =="


def test_runtime_requirements_carry_no_test_tools():
    leaked = TEST_TOOLS & set(pinned("requirements.txt"))
    assert not leaked, f"requirements.txt (the image, make run) carries test tools: {sorted(leaked)}"
    pulled = TEST_TOOLS & dependency_closure(pinned("requirements.txt"))
    assert not pulled, f"what requirements.txt installs pulls in test tools: {sorted(pulled)}"


def test_dev_requirements_include_the_runtime_ones_and_the_test_tools():
    lines = requirement_lines("requirements-dev.txt")
    assert lines[0] == "-r requirements.txt"
    assert not set(pinned("requirements-dev.txt")) & set(pinned("requirements.txt")), "pin each package once"
    assert {"playwright", "schemathesis", "hypothesis", "pytest", "pika"} <= set(pinned("requirements-dev.txt"))


def test_what_the_services_import_is_in_the_runtime_requirements():
    runtime = dependency_closure(pinned("requirements.txt"))
    missing = {}
    for path in runtime_sources():
        for name in imported_distributions(path) - runtime:
            missing.setdefault(name, str(path.relative_to(ROOT)))
    assert not missing, f"imported at run time but not in requirements.txt (nor needed by it): {missing}"


def test_dockerfile_installs_only_the_runtime_requirements():
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    instructions = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    installs = [line for line in instructions if line.startswith("RUN") and "pip install" in line]
    assert installs and all(re.search(r"pip install --no-cache-dir -r requirements\.txt\s*($|&&)", line)
                            for line in installs), installs
    assert not any("requirements-dev" in line for line in instructions), "the image installs the test tools"


def makefile_rules() -> dict[str, list[str]]:
    """target -> its prerequisites."""
    rules = {}
    for line in (ROOT / "Makefile").read_text().splitlines():
        match = re.match(r"^([^\s:#=][^:=]*):(?!=)\s*(.*)$", line)
        if match and not line.startswith("."):
            for target in match.group(1).split():
                rules[target] = match.group(2).split()
    return rules


def makefile_recipe(target: str) -> str:
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line)
    return "\n".join(recipe)


def test_make_run_installs_the_runtime_requirements_and_make_test_the_dev_ones():
    rules = makefile_rules()
    assert rules["$(VENV)/.installed-run"] == ["requirements.txt"]
    assert "-r requirements.txt" in makefile_recipe("$(VENV)/.installed-run")
    assert "requirements-dev.txt" in rules["$(VENV)/.installed-dev"]
    assert "-r requirements-dev.txt" in makefile_recipe("$(VENV)/.installed-dev")
    assert rules["install"] == ["$(VENV)/.installed-run"]
    assert rules["install-dev"] == ["$(VENV)/.installed-dev"]
    # make run -> migrate, topology -> preflight -> install: the runtime requirements only.
    assert rules["preflight"] == ["install"]
    assert set(rules["run"]) == {"migrate", "topology"}
    for target in ("test", "bench", "bench-search", "bench-rules"):
        assert rules[target] == ["install-dev"], target
