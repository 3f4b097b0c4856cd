"""Editing a security record with the keyboard only, in Chromium (demo county): every control is
labelled, the tab order follows the form, an error is tied to its field, and the save lands."""

from __future__ import annotations

from typing import Any

from e2e_support import Server, shot
from playwright.sync_api import expect

ACTIVE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const labels = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return {
    tag: el.tagName.toLowerCase(),
    name: el.getAttribute("name") || "",
    label: labels.replace("*", "").trim(),
    text: (el.innerText || "").trim(),
    inForm: !!el.closest("form.form"),
  };
}"""


def _tab_to(page: Any, wanted: Any, limit: int = 80) -> dict[str, Any]:
    """Press Tab until ``wanted(active element)`` holds; the element it stopped on."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        active = page.evaluate(ACTIVE)
        if active is not None and wanted(active):
            return dict(active)
    raise AssertionError("the element was never reached with Tab")


def _login_by_keyboard(page: Any) -> None:
    page.goto("/login")
    # the user name field has autofocus: type only once it holds the focus
    page.wait_for_function("document.activeElement && document.activeElement.name === 'username'")
    page.keyboard.type("security")
    page.keyboard.press("Tab")
    page.keyboard.type("Demo@2026!")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def test_editing_a_drill_with_the_keyboard_only(page: Any, server: Server) -> None:
    _login_by_keyboard(page)
    drill = page.request.get("/api/v1/security/drills?limit=1").json()["results"][0]
    page.goto(f"/security/drills/{drill['id']}")
    _tab_to(page, lambda a: a["tag"] == "a" and a["text"] == "修改")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/security/drills/{drill['id']}/edit")
    shot(page, "drill-edit-form")

    # The tab order walks the form top to bottom, and every control has its label.
    first = _tab_to(page, lambda a: a["inForm"])
    order = [first]
    while order[-1]["text"] != "取消":
        page.keyboard.press("Tab")
        active = page.evaluate(ACTIVE)
        if active != order[-1]:  # a date input's parts are one stop here
            order.append(active)
    controls = [a for a in order if a["tag"] in ("input", "select", "textarea")]
    assert [a["name"] for a in controls] == [
        "plan_id",
        "drill_type",
        "scenario",
        "held_on",
        "participants",
        "findings",
    ], order
    assert all(a["label"] for a in controls), controls
    assert [a["label"] for a in controls][:3] == ["应急预案", "演练类型", "演练场景"]
    assert [a["text"] for a in order[-2:]] == ["保存", "取消"]

    # Clear the scenario and submit with Enter: the error is tied to the field, the rest stays.
    page.keyboard.press("Shift+Tab")  # back from 取消 to 保存, then to the fields
    _tab_to(page, lambda a: a["name"] == "drill_type")
    page.keyboard.press("ArrowDown")  # the next drill type (the one before, for the last)
    if page.locator("#drill_type").input_value() == drill["drill_type"]:
        page.keyboard.press("ArrowUp")
    new_type = page.locator("#drill_type").input_value()
    assert new_type and new_type != drill["drill_type"]
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.press("Enter")
    scenario = page.locator("#scenario")
    expect(scenario).to_have_attribute("aria-invalid", "true")
    expect(scenario).to_have_attribute("aria-describedby", "scenario-error")
    assert page.locator("#scenario-error").inner_text() == "此项为必填项"
    assert page.locator("#drill_type").input_value() == new_type
    shot(page, "drill-edit-form-error")

    _tab_to(page, lambda a: a["name"] == "scenario")
    page.keyboard.type("键盘编辑的演练场景")
    _tab_to(page, lambda a: a["name"] == "participants")
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("县网信办")
    _tab_to(page, lambda a: a["text"] == "保存")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/security/drills/{drill['id']}")
    assert page.get_by_text("已保存对应急演练的修改").is_visible()
    record = page.locator("section.panel").first.inner_text()
    assert "键盘编辑的演练场景" in record and "县网信办" in record
    saved = page.request.get(f"/api/v1/security/drills/{drill['id']}").json()
    assert saved["drill_type"] == new_type and saved["version"] == drill["version"] + 1
    assert saved["participants"][-1] == "县网信办"
    shot(page, "drill-after-keyboard-edit")
