"""axe-core in Debian's chromium: the serious and critical accessibility violations of a page.

axe.min.js (axe-core, MPL-2.0) is installed from the npm registry by `make axe-core` (the version is
pinned in the Makefile) into the git-ignored .axe-core/; OVERSIGHT_AXE_JS=/path/to/axe.min.js checks
with another build. It is injected through Selenium, so the page's Content-Security-Policy does not
stand in its way.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from tests.conftest import require_service

BLOCKING = ("serious", "critical")
# The widths the reader pages are checked at: a desktop and a phone.
DESKTOP = 1440
PHONE = 390


AXE_JS = Path(__file__).resolve().parents[2] / ".axe-core" / "node_modules" / "axe-core" / "axe.min.js"


@cache
def axe_source() -> str:
    path = Path(os.environ.get("OVERSIGHT_AXE_JS") or AXE_JS)
    require_service("axe-core", path.is_file(), "make axe-core (npm install into .axe-core/)")
    return path.read_text(encoding="utf-8")


def set_width(driver, width: int) -> None:
    """Lay the page out as a screen `width` CSS pixels wide (a phone for the narrow one)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 800},
    )


def axe_violations(driver) -> list[dict]:
    """The serious and critical violations on the current page, each with the elements at fault."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(axe_source())
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ["violations"]})
          .then((r) => done(r.violations))
          .catch((e) => done({error: String(e)}));
        """
    )
    assert not isinstance(result, dict), result
    return [v for v in result if v["impact"] in BLOCKING]


def node_count(violations: list[dict]) -> int:
    """How many elements fail, counted as axe's report does (one per element per rule)."""
    return sum(len(v["nodes"]) for v in violations)


def describe(violations: list[dict], limit: int = 4) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(node["target"]) for node in v["nodes"][:limit])
        more = f" (+{len(v['nodes']) - limit})" if len(v["nodes"]) > limit else ""
        lines.append(f"  {v['impact']} {v['id']} ×{len(v['nodes'])}: {targets}{more}")
    return "\n".join(lines)
