"""Teaching the CNN two classes in a real browser."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SHOTS

pytestmark = pytest.mark.browser


def add_class(page, name: str) -> None:
    page.get_by_test_id("class-name").fill(name)
    page.get_by_test_id("add-class").click()
    page.get_by_test_id(f"class-{name}").wait_for()


def current_image(page) -> str:
    return page.evaluate("new URLSearchParams(location.hash.slice(1)).get('image') || ''")


def pick_sample(page, sample: str) -> None:
    """Click a sample and wait until its image id is the current one."""
    before = current_image(page)
    if before and page.evaluate("new URLSearchParams(location.hash.slice(1)).get('sample')") \
            == sample:
        return  # already showing it
    page.get_by_test_id(f"sample-{sample}").click()
    page.wait_for_function(
        "before => new URLSearchParams(location.hash.slice(1)).get('image') !== before",
        arg=before)


def add_sample(page, class_name: str, sample: str, count: int) -> None:
    pick_sample(page, sample)
    page.get_by_test_id(f"class-add-current-{class_name}").click()
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=class-{class_name}] .thumb').length"
        f" === {count}")


def test_two_classes_train_and_predict(page):
    page.goto(page.base + "/#tab=teach")
    page.get_by_test_id("project-id").wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=project-id]')"
                           ".textContent.startsWith('project')")
    add_class(page, "pet")
    add_class(page, "thing")
    add_sample(page, "pet", "dog_german_shepherd", 1)
    add_sample(page, "pet", "cat_chelsea", 2)
    add_sample(page, "thing", "object_coffee", 1)
    add_sample(page, "thing", "object_baseball", 2)
    page.get_by_test_id("train").click()
    page.wait_for_function("() => document.querySelector('[data-testid=train-status]')"
                           ".dataset.status === 'done'")
    assert "unreliable" in page.get_by_test_id("train-warnings").inner_text()  # 2 per class
    pick_sample(page, "dog_german_shepherd")
    page.get_by_test_id("teach-predict").click()
    page.get_by_test_id("teach-probs").locator("li").first.wait_for()
    assert page.get_by_test_id("teach-probs").locator("li").first.inner_text().startswith("pet")
    page.wait_for_function("() => { const i = document.querySelector("
                           "'[data-testid=teach-gradcam]');"
                           " return !i.hidden && i.complete && i.naturalWidth === 224; }")
    page.screenshot(path=str(SHOTS / "teach.png"), full_page=True)


def test_a_link_naming_another_project_opens_it_in_the_open_tab(page):
    """A lesson's "Go on in Teach it" link names its project; the tab, already open on the
    person's own project, switches to it and keeps the way back."""
    page.goto(page.base + "/#tab=teach")
    page.wait_for_function("() => document.querySelector('[data-testid=project-id]')"
                           ".textContent.startsWith('project')")
    add_class(page, "mine")
    add_sample(page, "mine", "dog_german_shepherd", 1)
    own = page.get_by_test_id("project-id").get_attribute("data-project")
    linked = page.request.post(page.base + "/api/projects").json()["id"]
    page.request.post(f"{page.base}/api/projects/{linked}/classes", data={"name": "zebra"})
    page.evaluate("pid => { location.hash = `tab=teach&project=${pid}`; }", linked)
    page.get_by_test_id("class-zebra").wait_for()
    assert page.get_by_test_id("project-id").get_attribute("data-project") == linked
    assert page.get_by_test_id("class-mine").count() == 0
    page.get_by_test_id("back-to-project").click()
    page.get_by_test_id("class-mine").wait_for()
    assert page.get_by_test_id("project-id").get_attribute("data-project") == own
