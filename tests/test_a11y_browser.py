"""WCAG 2.1 AA, measured: axe-core (node_modules/axe-core, pinned in package.json) in Debian's chromium
on every HTML page of tests/pagelist.py at 360x640 and 1280x800, public pages as an anonymous reader,
staff pages as a logged-in admin; plus font sizes and target sizes measured in the page.

Text: every visible text is >= 14 px; body text (all text not inside a ``SECONDARY`` element) >= 16 px.
Targets: every visible a/button/input/select/summary/textarea >= 24x24 CSS px, except links inside
running text (WCAG 2.5.8's inline exception: a link whose paragraph has other text); ``PRIMARY``
controls >= 44x44. See docs/accessibility.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .browserkit import launched_chromium, login_page, serving
from .pagelist import ADMIN, PAGES, PASSWORD, Page, build_library, unmapped

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
VIEWPORTS = {"360": {"width": 360, "height": 640}, "1280": {"width": 1280, "height": 800}}
# Where counts per page are written when asked (CASEBOOK_A11Y_COUNTS=file.json), for docs/accessibility.md.
COUNTS = os.environ.get("CASEBOOK_A11Y_COUNTS")

SECONDARY = (
    "small, figcaption, caption, time, sup, sub, .site-footer, .crumbs, .badge, .count, .chip, .card-meta, "
    ".card-foot, .loop, .hint, .muted, .secondary, legend, .comment-meta, .share-hint, .share-step, "
    ".indicator-figures, .indicator-note, .timeline, .footnote-ref, .url, .sample, .link-list-meta, .community-street, "
    ".search-topic-summary"
)
"""Text inside these is secondary (metadata, dates, captions, counts, hints, breadcrumbs, the footer, a
form's row numbers): >= 14 px. Text inside ``svg[role=img]`` (a chart: a picture with its text
alternative, its figures repeated in a table) is not measured."""
PRIMARY = (
    ".skip-link, .site-name, .site-nav a, button, input[type=submit], input[type=search], select, "
    ".pager a, .card-title a, .topic-link, .prevnext a, .button"
)
"""Primary controls: header navigation, buttons, search, pager, card title links: >= 44x44 CSS px."""

MEASURE = """([secondary, primary]) => {
  const visible = (el) => {
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) return false;
    for (let up = el; up; up = up.parentElement) {
      const s = getComputedStyle(up);
      if (s.display === 'none' || s.clipPath === 'inset(50%)' || s.clip === 'rect(0px, 0px, 0px, 0px)') return false;
      if (up.tagName === 'DETAILS' && !up.open && up !== el && !el.closest('summary')) return false;
    }
    return true;
  };
  const path = (el) => {
    const parts = [];
    for (let up = el; up && up !== document.body && parts.length < 4; up = up.parentElement) {
      parts.unshift(up.tagName.toLowerCase() + (up.id ? '#' + up.id : '') +
                    (up.classList.length ? '.' + [...up.classList].join('.') : ''));
    }
    return parts.join(' > ');
  };
  const problems = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || seen.has(el) || !node.textContent.trim()) continue;
    if (el.closest('script, style, noscript, textarea, svg[role=img]')) continue;
    seen.add(el);
    if (!visible(el)) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    const least = el.closest(secondary) ? 14 : 16;
    const sample = node.textContent.trim().slice(0, 20);
    if (size < least - 0.01) problems.push(`text ${size}px < ${least}px: ${path(el)} “${sample}”`);
  }
  const block = 'p, li, dd, td, th, blockquote, figcaption, small, span.snippet, .card-text';
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, summary, textarea')) {
    if (!visible(el)) continue;
    const box = el.getBoundingClientRect();
    const isPrimary = el.matches(primary);
    const least = isPrimary ? 44 : 24;
    if (box.width >= least - 0.01 && box.height >= least - 0.01) continue;
    if (!isPrimary && el.tagName === 'A') {
      const para = el.parentElement && el.parentElement.closest(block);
      if (para && para.textContent.trim().length > el.textContent.trim().length) continue;  // inline in running text
    }
    problems.push(`target ${Math.round(box.width)}x${Math.round(box.height)} < ${least}: ${path(el)}`);
  }
  return problems;
}"""


def test_every_html_page_has_a_url_in_the_page_list(tmp_path: Path) -> None:
    """A page added later fails here until tests/pagelist.py names a URL for it."""
    app, _ = build_library(tmp_path)
    assert unmapped(app) == []


def test_every_listed_page_answers_html(tmp_path: Path) -> None:
    app, pages = build_library(tmp_path)
    anonymous, admin = app.test_client(), app.test_client()
    from .staffkit import login

    login(admin, ADMIN, PASSWORD)
    for page in pages:
        answer = (admin if page.staff else anonymous).get(page.url)
        assert (answer.status_code, answer.mimetype) == (200, "text/html"), page.name


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Page]]]:
    if not AXE.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("node_modules/axe-core is missing in CI: .ci/run must run npm ci")
        pytest.skip("axe-core is not installed (npm ci --no-audit --no-fund)")
    app, pages = build_library(tmp_path_factory.mktemp("a11y"))
    with serving(app) as base:
        yield base, {listed.name: page for listed, page in zip(PAGES, pages, strict=True)}


@pytest.fixture(scope="module")
def contexts(site: tuple[str, dict[str, Page]]) -> Iterator[dict[tuple[str, bool], Any]]:
    base, _ = site
    with launched_chromium() as browser:
        made: dict[tuple[str, bool], Any] = {}
        for name, size in VIEWPORTS.items():
            for staff in (False, True):
                context = browser.new_context(viewport=size, bypass_csp=True, reduced_motion="reduce")
                if staff:
                    login_page(context.new_page(), base, ADMIN, PASSWORD)
                made[name, staff] = context
        yield made
        for context in made.values():
            context.close()


@pytest.fixture(scope="module")
def counts() -> Iterator[dict[str, list[int]]]:
    found: dict[str, list[int]] = {}
    yield found
    if COUNTS:
        Path(COUNTS).write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("name", [page.name for page in PAGES])
def test_page_is_accessible_in_browser(
    site: tuple[str, dict[str, Page]],
    contexts: dict[tuple[str, bool], Any],
    counts: dict[str, list[int]],
    name: str,
    viewport: str,
) -> None:
    base, pages = site
    page_info = pages[name]
    context = contexts[viewport, page_info.staff]
    page = context.pages[0] if context.pages else context.new_page()
    answer = page.goto(base + page_info.url)
    assert answer is not None and answer.status == 200, page_info.url
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
        " return r.violations.map(v => ({id: v.id, targets: v.nodes.map(n => n.target.join(' '))})); }",
        TAGS,
    )
    measured = page.evaluate(MEASURE, [SECONDARY, PRIMARY])
    scroll = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    counts[f"{name} @{viewport}"] = [len(result), len(measured)]
    lines = [f"{v['id']} on {name} @{viewport}: {', '.join(v['targets'][:6])}" for v in result]
    lines += [f"{line} on {name} @{viewport}" for line in measured[:80]]
    if scroll > 0:
        lines.append(f"scrolls sideways by {scroll}px on {name} @{viewport}")
    assert not lines, "\n".join(lines)
