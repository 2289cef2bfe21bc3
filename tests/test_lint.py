"""`make lint` refuses what it is there to refuse: a core module importing a feature, a function past
the complexity limits, a type error in the core. Each probe is a module written into the project for
the run of one checker, then removed."""

import subprocess
import sys
import textwrap
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@contextmanager
def probe(package: str, source: str):
    """A module of `package` holding `source`, for as long as the block runs."""
    name = f"_lint_probe_{uuid.uuid4().hex[:8]}"
    path = ROOT / package.replace(".", "/") / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    try:
        yield f"{package}.{name}", path
    finally:
        path.unlink()


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_core_importing_a_feature_breaks_the_layers():
    with probe("agencies.core", "from agencies.briefings import pages  # noqa: F401\n") as (module, _):
        result = run(str(BIN / "lint-imports"))
    assert result.returncode == 1, result.stdout
    assert "The core imports no feature, no entry point and not the project BROKEN" in result.stdout
    assert f"{module} -> agencies.briefings.pages" in result.stdout


def test_a_feature_reaching_into_another_breaks_their_independence():
    with probe("agencies.explorer", "from agencies.exchange import importer  # noqa: F401\n") as (module, _):
        result = run(str(BIN / "lint-imports"))
    assert result.returncode == 1, result.stdout
    assert "Features are independent, except through named interfaces BROKEN" in result.stdout
    assert f"{module} -> agencies.exchange.importer" in result.stdout


def test_a_function_past_the_limits_is_refused():
    branches = "".join(f"    if value == {n}:\n        return {n}\n" for n in range(16))
    arguments = ", ".join(f"a{n}" for n in range(11))
    source = f"def pick(value):\n{branches}    return -1\n\n\ndef many(*, {arguments}):\n    return a0\n"
    with probe("agencies.core", source) as (_, path):
        result = run(str(BIN / "ruff"), "check", "--no-cache", "--output-format", "concise", str(path))
    assert result.returncode == 1, result.stdout
    for code in ("C901", "PLR0911", "PLR0912", "PLR0913"):
        assert code in result.stdout


def test_a_type_error_in_the_core_is_refused():
    # The second error needs django-stubs' plugin: only it knows a claim's fields.
    source = """
        from agencies.models import Claim


        def count() -> int:
            return "three"


        def text(claim: Claim) -> str:
            return claim.no_such_field
    """
    with probe("agencies.core", source) as (_, path):
        result = run(str(BIN / "mypy"), str(path.relative_to(ROOT)))
    assert result.returncode == 1, result.stdout
    assert 'Incompatible return value type (got "str", expected "int")' in result.stdout
    assert '"Claim" has no attribute "no_such_field"' in result.stdout
