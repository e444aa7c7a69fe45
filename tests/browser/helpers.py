"""What the browser tests share: the accessibility check, the README's screenshots, logging in
and moving the focus with the keyboard alone."""

import os
from pathlib import Path

from playwright.sync_api import Page, expect

from stims.models import Stim
from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
# Fetched by `make install` (see the Makefile); nothing is fetched while the tests run.
AXE_CORE_JS = Path(
    os.environ.get("AXE_CORE_JS")
    or Path.home() / ".cache" / "stim-recommender" / "axe-core-4.14.1" / "axe.min.js"
)
# `make screenshots` points this at docs/screenshots (the README's pictures); other runs write
# them beside the test's other files, so running the suite leaves the work tree clean.
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")

# What has the focus, and whether a sighted keyboard user can see it: on screen, and drawn
# with an outline or a shadow while it matches :focus-visible.
FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const box = element.getBoundingClientRect();
  const label = element.labels && element.labels.length ? element.labels[0].innerText : "";
  return {
    name: (element.getAttribute("aria-label") || label || element.innerText
           || element.value || "").trim(),
    tag: element.tagName.toLowerCase(),
    onScreen: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
              && box.top < window.innerHeight && box.left < window.innerWidth,
    ringed: element.matches(":focus-visible")
            && ((style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
                || style.boxShadow !== "none"),
    inMain: element.closest("main") !== null,
    inNav: element.closest("nav") !== null,
    card: element.closest("article") ? element.closest("article").id : "",
  };
}"""


def axe_check(page: Page) -> None:
    """Runs axe-core on the page as it is now and fails on any serious or critical violation of
    WCAG 2.0 and 2.1, A and AA, naming each rule and the elements that break it."""
    assert AXE_CORE_JS.is_file(), f"no axe-core at {AXE_CORE_JS}: run `make install`"
    page.wait_for_load_state()
    page.add_script_tag(path=AXE_CORE_JS)
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )["violations"]
    print(f"axe {page.url}: " + ("\n".join(map(_described, found)) or "no violations"))
    blocking = [rule for rule in found if rule["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {page.url}:\n" + "\n".join(map(_described, blocking))


def _described(rule: dict) -> str:
    nodes = "".join(
        f"\n    {' '.join(map(str, node['target']))}: {node['html'][:300]}"
        f"\n      {node['failureSummary'].replace(chr(10), ' ')}"
        for node in rule["nodes"]
    )
    return f"  {rule['id']} ({rule['impact']}): {rule['help']} ({rule['helpUrl']}){nodes}"


def visit(page: Page, path: str) -> None:
    """Opens a page of the live server and checks it with axe-core."""
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    axe_check(page)


def screenshot(page: Page, name: str) -> None:
    """Writes <name>-phone.png and <name>-desktop.png into SCREENSHOTS, the whole page at each
    width, and checks that the page never scrolls sideways on a phone."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {size['width']}px"


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    visit(page, "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def nav_to(page: Page, link: str) -> None:
    """Follows a link of the main navigation and checks the page it opens."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=link, exact=True).click()
    axe_check(page)


def suggested(page: Page):
    """The cards of the "Suggested for you" list on My stims, in order."""
    return page.get_by_role("region", name="Suggested for you").locator("article.rec-card")


def stim_of(card) -> Stim:
    """The stim of a card: its id is stim-<id> in the list, safer-<harmful id>-stim-<id> among
    the safer alternatives."""
    return Stim.objects.get(pk=int(card.get_attribute("id").rpartition("-")[2]))


def focus_shown(page: Page, after: str) -> dict:
    """What has the focus, having checked that a sighted keyboard user can see it: on screen,
    with a focus style."""
    focused = page.evaluate(FOCUSED)
    where = f"after {after} on {page.url}"
    assert focused["tag"] != "body", f"{where} nothing on the page has the focus"
    assert focused["onScreen"], f"{where} the focus is off screen: {focused}"
    assert focused["ringed"], f"{where} the focus has no visible style: {focused}"
    return focused


def press(page: Page, key: str) -> dict:
    """Presses Tab or Shift+Tab; returns what has the focus then (see focus_shown)."""
    page.keyboard.press(key)
    return focus_shown(page, key)


def tab_to(page: Page, name: str, *, key: str = "Tab", limit: int = 80) -> dict:
    """Presses Tab (or Shift+Tab) until the element whose name starts with `name` (a label may
    end in a colon) has the focus; none if it has the focus already (autofocus)."""
    focused = page.evaluate(FOCUSED)
    for _ in range(limit):
        if focused["name"].startswith(name):
            return focus_shown(page, f"moving to {name!r}")
        focused = press(page, key)
    raise AssertionError(f"{name!r} not reached on {page.url} in {limit} presses of {key}")
