"""Getting many photos into Teach classes at once: files, a folder, a drop, several
samples; a refused file keeps its reason on screen."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SHOTS
from tests.support.axe import violations
from tests.support.photos import shape_photo

pytestmark = pytest.mark.browser

SLOW = 120_000


def open_teach(page) -> None:
    page.goto(page.base + "/#tab=teach")
    page.wait_for_function("() => document.querySelector('[data-testid=project-id]')"
                           ".textContent.startsWith('project')", timeout=SLOW)


def add_class(page, name: str) -> None:
    page.get_by_test_id("class-name").fill(name)
    page.get_by_test_id("add-class").click()
    page.get_by_test_id(f"class-{name}").wait_for()


def wait_photos(page, name: str, count: int) -> None:
    """`count` photos stored in the class and nothing of it still on the way."""
    page.wait_for_function(
        "([name, n]) => document.querySelectorAll(`[data-testid=class-${name}] .thumb`).length"
        " === n && !document.querySelector(`[data-testid=class-${name}] .frame`)",
        arg=[name, count], timeout=SLOW)


def png(kind: str, seed: int) -> dict:
    return {"name": f"{kind}-{seed}.png", "mimeType": "image/png",
            "buffer": shape_photo(kind, seed)}


def test_many_files_a_folder_a_drop_and_samples(page, tmp_path):
    open_teach(page)
    add_class(page, "discs")
    add_class(page, "squares")

    # Several files at once, one of them not a photo and one a broken photo.
    page.get_by_test_id("class-files-discs").set_input_files(files=[
        png("disc", 1), png("disc", 2),
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"},
        {"name": "broken.png", "mimeType": "image/png", "buffer": b"\x89PNG broken"},
    ])
    wait_photos(page, "discs", 2)
    errors = page.get_by_test_id("class-errors-discs").locator("li")
    assert errors.count() == 2
    text = page.get_by_test_id("class-errors-discs").inner_text()
    assert "notes.txt: not a photo" in text
    assert "broken.png:" in text and "JPEG, PNG, WebP, BMP or GIF" in text
    assert page.get_by_test_id("class-count-discs").inner_text() == "2 photos"

    # A folder (with a subfolder and a hidden file, which nobody chose) through the picker.
    folder = tmp_path / "squares"
    (folder / "more").mkdir(parents=True)
    for seed, where in ((1, folder), (2, folder), (3, folder / "more")):
        (where / f"square-{seed}.png").write_bytes(shape_photo("square", seed))
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    page.get_by_test_id("class-folder-squares").set_input_files(folder)
    wait_photos(page, "squares", 3)
    assert page.get_by_test_id("class-errors-squares").inner_text() == ""

    # Files dropped on a class (a browser's drop of plain files: no folder entries).
    page.get_by_test_id("class-squares").evaluate("""async (card) => {
        const data = new DataTransfer();
        for (const n of [4, 5]) {
            const c = Object.assign(document.createElement('canvas'), {width: 64, height: 48});
            const ctx = c.getContext('2d');
            ctx.fillStyle = '#888'; ctx.fillRect(0, 0, 64, 48);
            ctx.fillStyle = '#22d'; ctx.fillRect(10 + n, 10, 24, 24);
            const blob = await new Promise((r) => c.toBlob(r, 'image/png'));
            data.items.add(new File([blob], `dropped-${n}.png`, {type: 'image/png'}));
        }
        const how = {dataTransfer: data, bubbles: true, cancelable: true};
        card.dispatchEvent(new DragEvent('dragover', how));
        card.dispatchEvent(new DragEvent('drop', how));
    }""")
    wait_photos(page, "squares", 5)

    # Several samples in one step.
    page.get_by_test_id("samples-picker").locator("summary").click()
    for sample in ("dog_german_shepherd", "cat_chelsea", "animal_giant_panda"):
        page.get_by_test_id(f"pick-sample-{sample}").check()
    page.get_by_test_id("samples-class").select_option(label="discs")
    page.get_by_test_id("samples-add").click()
    wait_photos(page, "discs", 5)
    assert page.get_by_test_id("samples-note").inner_text() == "3 samples going to discs."
    assert page.get_by_test_id("samples-class").evaluate(
        "s => s.options[s.selectedIndex].text") == "discs"  # the choice survives the reload

    # The refused files' reasons stayed through all of that, until cleared.
    assert page.get_by_test_id("class-errors-discs").locator("li").count() == 2
    page.screenshot(path=str(SHOTS / "teach-collect.png"), full_page=True)
    page.locator("[data-testid=class-discs] .thumb .open").first.click()
    page.get_by_test_id("photo-views").wait_for(timeout=SLOW)
    page.get_by_test_id("photo-views-strip").locator("img").evaluate("i => i.decode()")
    assert page.get_by_test_id("photo-views-strip").locator("img").evaluate(
        "i => [i.naturalWidth, i.naturalHeight]") == [4 * 150 + 3 * 8, 150]
    assert violations(page) == []
    page.get_by_test_id("class-errors-discs").get_by_role("button").click()
    assert page.get_by_test_id("class-errors-discs").inner_text() == ""
