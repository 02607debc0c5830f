"""The Lessons tab in a real browser: every lesson opened by its link, on a sample and on a
photo uploaded through the file input, its words and its experiment's numbers on screen
(checked against the API where the page shows a number the server also computes), a
screenshot of each; the list, Previous / Next, large type, phones."""

from __future__ import annotations

import io
import math
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import SHOTS, WAIT_MS, new_context

pytestmark = pytest.mark.browser

LESSON_SHOTS = SHOTS / "lessons"
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = "dog_german_shepherd"
READY = WAIT_MS       # ms: the first open of a lesson may wait for the model and a job
SLOW_READY = 420_000  # ms: the lessons that train classifiers (jobs of several seconds each)
SLOW = {"transfer", "spurious", "how-many-images"}
LESSON_IDS = ["dot-product", "edges", "translation", "learned-filters", "hierarchy",
              "parameter-sharing", "pooling", "output-size", "relu", "dog-maps", "transfer",
              "spurious", "how-many-images"]
SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]


def uploaded_photo() -> bytes:
    """A photo that is not a sample: part of the cat sample, mirrored, made in memory."""
    cat = Image.open(ROOT / "static" / "samples" / "cat_chelsea.png").convert("RGB")
    w, h = cat.size
    part = cat.crop((w // 8, h // 8, w // 8 + min(640, w * 3 // 4), h // 8 + min(480, h * 3 // 4)))
    buf = io.BytesIO()
    part.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(buf, "PNG")
    return buf.getvalue()


def image_id(page) -> str:
    return page.evaluate("new URLSearchParams(location.hash.slice(1)).get('image')")


def wait_ready(page, lesson: str, image: str | None = None) -> None:
    """Wait until the experiment shows `lesson` for the photo in the link (or `image`); an
    error the lesson shows instead fails at once, with its words."""
    page.wait_for_function(
        """([lesson, image]) => {
            const box = document.querySelector('[data-testid=experiment]');
            const error = document.querySelector('[data-testid=lesson-error]');
            if (error && !error.hidden) return true;
            const shown = image || new URLSearchParams(location.hash.slice(1)).get('image');
            return box && box.dataset.lesson === lesson && box.dataset.ready === '1'
                && box.dataset.image === shown;
        }""", arg=[lesson, image], timeout=SLOW_READY if lesson in SLOW else READY)
    error = page.get_by_test_id("lesson-error")
    assert error.is_hidden(), f"{lesson}: {error.inner_text()}"


def data(page, testid: str) -> dict:
    """The numbers an element carries (its data-* attributes, its test id left out)."""
    found = page.get_by_test_id(testid).evaluate("e => ({...e.dataset})")
    found.pop("testid")
    return found


def api(page, method: str, path: str, **kwargs) -> httpx.Response:
    response = httpx.request(method, page.base + path, timeout=60, **kwargs)
    response.raise_for_status()
    return response


def set_range(page, testid: str, value: int) -> None:
    """Move a slider as a person does: its value changes and it says so (an input event)."""
    page.get_by_test_id(testid).evaluate(
        "(e, v) => { e.value = String(v);"
        " e.dispatchEvent(new Event('input', { bubbles: true })); }", value)


def conv_body(kernel, **extra) -> dict:
    return {"kernel": kernel, "stride": 1, "padding": "same", "border": "reflect101",
            "dilation": 1, "bias": 0, "channels": "gray", "flip": False, "relu": False,
            "pool": None, "display": "diverging", **extra}


# --- what each lesson's experiment must show, with the numbers checked ----------------------

def check_dot_product(page, image):
    written, check = data(page, "dot-written"), data(page, "dot-check")
    # The sum written out and added up in the page equals the server's output pixel.
    assert float(written["sum"]) == pytest.approx(float(check["value"]), abs=1e-3)
    assert "dot product =" in page.get_by_test_id("dot-written").inner_text()
    first = page.get_by_test_id("dot-cells").locator("li").nth(0).inner_text()
    page.get_by_test_id("dot-step").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=dot-cells] li')[1]"
                           ".textContent !== '?'")
    after = data(page, "dot-written")
    assert float(after["sum"]) == pytest.approx(float(data(page, "dot-check")["value"]), abs=1e-3)
    assert first != "?"


def check_edges(page, image):
    r = data(page, "edges-readout")
    x, y = int(r["x"]), int(r["y"])
    # The page's Sobel x value at that pixel is the server's inspected output there.
    body = {**conv_body(SOBEL_X), "x": x, "y": y}
    info = api(page, "POST", f"/api/images/{image}/inspect", json=body).json()
    gx, gy = float(r["gx"]), float(r["gy"])
    assert gx == pytest.approx(info["value"][0], abs=1e-2)
    assert float(r["magnitude"]) == pytest.approx(math.hypot(gx, gy), abs=1e-2)
    for testid in ("edges-x", "edges-y", "edges-magnitude"):
        assert page.get_by_test_id(testid).evaluate("c => c.width") > 100
    assert "mean size" in page.get_by_test_id("edges-summary").inner_text()


def check_translation(page, image):
    now = data(page, "shift-now")
    # The first view is one whole step of the stem's map (stride 2): the map moves exactly.
    assert now["shift"] == "2" and now["aligned"] == "true"
    assert float(now["similarity"]) >= 0.99
    facts = data(page, "shift-facts")
    assert float(facts["alignedMin"]) >= 0.99  # every even shift at the stem
    assert "multiples of 2" in page.get_by_test_id("shift-facts").inner_text()
    assert page.get_by_test_id("shift-plot").locator("circle").count() >= 2 * 9
    set_range(page, "shift", 1)
    page.wait_for_function("() => document.querySelector('[data-testid=shift-now]')"
                           ".dataset.shift === '1'")
    assert data(page, "shift-now")["aligned"] == "false"


def test_translation_says_it_is_computing_and_shows_no_broken_pictures(page):
    """A photo the server has not measured: while its job runs, the three pictures are
    placeholders that say what is computed (no broken image, no alt text), and so does the
    slider's readout."""
    page.goto(page.base + f"/#lesson=translation&sample={SAMPLE}")
    wait_ready(page, "translation")
    dog = Image.open(ROOT / "static" / "samples" / "dog_german_shepherd.jpg").convert("RGB")
    buf = io.BytesIO()
    dog.rotate(4, expand=False).save(buf, "PNG")  # a photo no other test uploads
    page.get_by_test_id("file-input").set_input_files(
        files=[{"name": "tilted.png", "mimeType": "image/png", "buffer": buf.getvalue()}])
    page.get_by_test_id("shift-computing").wait_for(timeout=READY)
    seen = page.evaluate("""() => {
        const box = document.querySelector('[data-testid=experiment]');
        const shown = (e) => e.getClientRects().length > 0;
        return {
            ready: box.dataset.ready,
            broken: [...box.querySelectorAll('img')].filter(shown)
                .filter((i) => !i.complete || i.naturalWidth === 0).length,
            pictures: [...box.querySelectorAll('img.lesson-img')].filter(shown).length,
            placeholders: [...box.querySelectorAll('[data-testid=lesson-placeholder]')]
                .filter(shown).map((p) => p.textContent),
            slider: document.querySelector('[data-testid=shift]').disabled,
            readout: document.querySelector('[data-testid=shift-value]').textContent,
        };
    }""")
    assert seen["ready"] == ""  # still measuring: what is checked is the waiting page
    assert seen["broken"] == 0 and seen["pictures"] == 0
    assert len(seen["placeholders"]) == 3
    assert all(text.startswith("Computing") for text in seen["placeholders"])
    assert seen["slider"] and seen["readout"] == "computing…"
    assert "one forward pass per shift" in page.get_by_test_id("shift-computing").inner_text()
    page.screenshot(path=str(LESSON_SHOTS / "translation-computing.png"), full_page=True)
    wait_ready(page, "translation")
    assert page.get_by_test_id("shift-computing").is_hidden()
    assert page.evaluate("() => [...document.querySelectorAll('[data-testid=experiment] "
                         "[data-testid=lesson-placeholder]')].every((p) => p.hidden)")
    shift = data(page, "shift-now")["shift"]
    assert page.get_by_test_id("shift-value").inner_text() == f"{shift} px"


def test_translation_names_the_classes_that_took_over(page):
    """The cat moved up and down: its top class changes (the lesson's words say so at one
    pixel down); the facts count every changed shift and name who took the top place."""
    page.goto(page.base + "/#lesson=translation&sample=cat_chelsea")
    wait_ready(page, "translation")
    page.get_by_test_id("shift-axis").select_option("y")
    page.wait_for_function("() => document.querySelector('[data-testid=shift-facts]')"
                           ".dataset.axis === 'y'", timeout=READY)
    query = {"stage": "stem", "axis": "y", "max_shift": 32, "step": 1}
    curve = api(page, "GET", f"/api/images/{image_id(page)}/translation", params=query).json()
    top = curve["unshifted_top"]["index"]
    changed = [r for r in curve["rows"] if r["top_index"] != top]
    assert 1 in [r["shift"] for r in changed]  # tiger cat to Egyptian cat, one pixel down
    said = page.get_by_test_id("shift-facts").inner_text()
    assert f"the top class changed at {len(changed)} shift" in said
    assert data(page, "shift-facts")["changes"] == ",".join(str(r["shift"]) for r in changed)
    for label in {r["top_label"] for r in changed}:
        count = sum(r["top_label"] == label for r in changed)
        assert f"{label} ({count} shift" in said
    page.screenshot(path=str(LESSON_SHOTS / "translation-cat-y.png"), full_page=True)


def labels_overflowing(page) -> list[str]:
    """The hand-made filters whose name sticks out of its card."""
    return page.get_by_test_id("hand-made-filters").evaluate("""grid =>
        [...grid.querySelectorAll('.filter-button')].filter((b) => {
            const box = b.getBoundingClientRect();
            const span = b.querySelector('span');
            const label = span.getBoundingClientRect();
            return label.left < box.left - 0.5 || label.right > box.right + 0.5
                || span.scrollWidth > span.clientWidth + 1;
        }).map((b) => b.textContent)""")


def check_learned_filters(page, image):
    assert page.get_by_test_id("learned-filters").locator(".filter-button").count() == 32
    # The page shows the match its words quote: the filter closest to Sobel y (summed over R, G,
    # B), found again here from the served weights with NumPy.
    served = api(page, "GET", "/api/model/filters/stem").json()["filters"]
    summed = np.array(served).sum(1).reshape(32, -1)  # (32, 3, 3, 3) summed over R, G, B
    sobel_y = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=float).ravel()
    cosines = summed @ sobel_y / (np.linalg.norm(summed, axis=1) * np.linalg.norm(sobel_y))
    alike = data(page, "filters-alike")
    index = int(alike["index"])
    assert index == int(np.abs(cosines).argmax())
    assert float(alike["cosine"]) == pytest.approx(cosines[index], abs=1e-6)
    quoted = f"{abs(cosines[index]):.2f}"
    shown = page.get_by_test_id("filters-alike").inner_text()
    assert f"Sobel y (cosine {cosines[index]:.2f}" in shown
    assert f"cosine similarity of {quoted}" in page.get_by_test_id("lesson-text").inner_text()
    assert "chosen" in page.get_by_test_id("lesson-preset-sobel_y").get_attribute("class")
    assert labels_overflowing(page) == []
    assert page.get_by_test_id("preset-caption").inner_text().startswith("Sobel y")
    assert f"filter {index}" in page.get_by_test_id("learned-caption").inner_text().lower()
    link = page.get_by_role("link", name=f"Send filter {index} to the playground")
    href = link.get_attribute("href")
    assert "tab=playground" in href and "channels=rgb" in href


def check_hierarchy(page, image):
    table = {r["id"]: r for r in api(page, "GET", "/api/model").json()["stages"]}
    # It opens where its words start: a unit of the stem's map (a 3-pixel field).
    says = data(page, "rf-says")
    assert says["stage"] == "stem" and page.get_by_test_id("rf-stage").input_value() == "stem"
    assert int(says["fieldSize"]) == int(says["cropWidth"]) == table["stem"]["receptive_field"] == 3
    assert page.get_by_test_id("rf-box").is_visible()
    assert page.get_by_test_id("rf-box-before").count() == 0
    # Then stage 4, as the words say: a unit at the same place, the stem's box kept beside it.
    page.get_by_test_id("rf-stage").select_option("stage4")
    page.wait_for_function("() => document.querySelector('[data-testid=rf-says]')"
                           ".dataset.stage === 'stage4'", timeout=READY)
    deeper = data(page, "rf-says")
    assert deeper["before"] == "stem" and page.get_by_test_id("rf-box-before").is_visible()
    # The centre unit's box is not clipped by the view's border.
    rf4 = table["stage4"]["receptive_field"]
    assert int(deeper["fieldSize"]) == int(deeper["cropWidth"]) == rf4
    for axis in ("cx", "cy"):  # the same place: within one stage-4 step of the stem unit
        assert abs(float(deeper[axis]) - float(says[axis])) <= table["stage4"]["stride"]
    stem_box = page.get_by_test_id("rf-box-before").bounding_box()
    deep_box = page.get_by_test_id("rf-box").bounding_box()
    assert deep_box["width"] > 5 * stem_box["width"]
    # The effective field (the gradient) lies within the theoretical box, concentrated.
    field = data(page, "rf-effective-caption")
    assert 0 < int(field["nonzero"]) <= int(field["boxArea"])
    assert int(field["half"]) < int(field["boxArea"]) / 2
    assert page.get_by_test_id("rf-strip").locator("figure").count() == 9


def check_parameter_sharing(page, image):
    worked = data(page, "share-worked")
    assert worked["dense"] == "10000" and worked["conv"] == "1000"
    assert "900 weights + 100 biases" in page.get_by_test_id("share-worked").inner_text()
    page.get_by_test_id("share-side").fill("200")
    page.wait_for_function("() => document.querySelector('[data-testid=share-worked]')"
                           ".dataset.dense === '40000'")
    assert page.get_by_test_id("share-stages").locator("tbody tr").count() == 10
    headers = page.get_by_test_id("share-stages").locator("thead th").all_inner_texts()
    assert len(headers) == 5 and all(h.strip() for h in headers), headers
    assert headers[4] == "times more"
    assert page.get_by_test_id("share-row-stem").locator("td").nth(1).inner_text().startswith("928")


def check_pooling(page, image):
    verdict = data(page, "pool-verdict")
    assert float(verdict["kept"]) == pytest.approx(float(verdict["result"]), abs=1e-3)
    cap = data(page, "pool-caption")
    assert int(cap["width"]) == int(cap["before"]) // 2
    page.get_by_test_id("pool-kind").select_option("avg")
    page.wait_for_function("() => document.querySelector('[data-testid=pool-verdict]')"
                           ".textContent.startsWith('Average')", timeout=READY)
    verdict = data(page, "pool-verdict")
    assert float(verdict["kept"]) == pytest.approx(float(verdict["result"]), abs=1e-2)


def output_size(n, f, p, s, d):
    return (n + 2 * p - d * (f - 1) - 1) // s + 1


def check_output_size(page, image):
    width = Image.open(io.BytesIO(api(page, "GET", f"/api/images/{image}").content)).width
    check = data(page, "size-check")
    # It opens at stride 1 with padding 1: the photo's own width, so the "Try this" can halve it.
    assert page.get_by_test_id("size-stride").input_value() == "1"
    assert int(check["width"]) == output_size(width, 3, 1, 1, 1) == width
    assert check["drawn"].split("x")[0] == check["width"]  # the picture drawn has that size
    set_range(page, "size-stride", 2)
    half = output_size(width, 3, 1, 2, 1)
    assert half == (width + 1) // 2
    page.wait_for_function("w => (document.querySelector('[data-testid=size-check]')"
                           ".dataset.drawn || '').startsWith(w + 'x')",
                           arg=str(half), timeout=READY)
    set_range(page, "size-stride", 3)
    set_range(page, "size-dilation", 2)
    expected = output_size(width, 3, 1, 3, 2)
    page.wait_for_function("w => (document.querySelector('[data-testid=size-check]')"
                           ".dataset.drawn || '').startsWith(w + 'x')",
                           arg=str(expected), timeout=READY)
    assert f"= {expected}" in page.get_by_test_id("size-width").inner_text() or \
        f"→ {expected}" in page.get_by_test_id("size-width").inner_text()


def check_relu(page, image):
    s = {k: int(v) for k, v in data(page, "relu-summary").items()}
    assert s["negativeBefore"] > 0 and s["negativeAfter"] == 0
    assert s["zeroAfter"] == s["negativeBefore"] + s["zeroBefore"]
    assert page.get_by_test_id("relu-hist-before").locator("rect").count() == 41


def check_dog_maps(page, image):
    top = api(page, "POST", f"/api/images/{image}/predict").json()["top"][0]["label"]
    assert data(page, "dog-top")["label"] == top
    assert page.get_by_test_id("dog-stages").locator("figure").count() == 9
    assert "Grad-CAM at stage7" in page.get_by_test_id("dog-cam-caption").inner_text()
    check_dog_maps_links(page)


def check_dog_maps_links(page):
    for stage in ("stem", "stage6"):
        href = page.get_by_test_id(f"dog-open-{stage}").get_attribute("href")
        assert "tab=cnn" in href and f"stage={stage}" in href


def test_a_dog_map_opens_its_stage_in_inside_the_cnn(page):
    """The 'Try this' of the dog's maps: click the stem's map, then stage 6's."""
    page.goto(page.base + f"/#lesson=dog-maps&sample={SAMPLE}")
    wait_ready(page, "dog-maps")
    check_dog_maps_links(page)
    page.get_by_test_id("dog-open-stage6").click()
    page.wait_for_function("() => !document.querySelector('[data-panel=cnn]').hidden")
    # Inside the CNN shows stage 6, zoomed on its strongest channel: the lesson's tile.
    strongest = page.get_by_test_id("dog-stage-stage6").locator("figcaption").inner_text()
    channel = strongest.split("#")[1].split(" ")[0]
    page.wait_for_function("c => document.querySelector('[data-testid=channel-title]')"
                           ".textContent.startsWith('stage6 #' + c + ' ')", arg=channel,
                           timeout=READY)
    assert page.get_by_test_id("fm-layer").input_value() == "stage6"


def check_transfer(page, image):
    accuracy = float(data(page, "transfer-accuracy")["accuracy"])
    assert 0 <= accuracy <= 1
    assert data(page, "transfer-verdict")["top"] in {"animals", "objects"}
    assert page.get_by_test_id("transfer-photos").locator("img").count() == 12


def check_spurious(page, image):
    scores = data(page, "spurious-scores")
    assert float(scores["same"]) > float(scores["swapped"])
    tops = page.get_by_test_id("spurious-examples").locator("img").evaluate_all(
        "imgs => imgs.map((i) => Math.round(i.getBoundingClientRect().top))")
    assert len(tops) == 4 and len(set(tops)) == 1, tops
    cure = data(page, "spurious-cure")
    assert float(cure["first"]) <= 0.3 and float(cure["last"]) >= 0.9
    assert "its background" in page.get_by_test_id("spurious-yours").inner_text() or \
        "background" in page.get_by_test_id("spurious-yours").inner_text()
    # The "Try this" asks for the smallest share past 90%: its answer waits behind a button,
    # and it is the curve's (the job the page followed is done: asking again joins it).
    share = float(reveal_answer(page, "spurious-answer")["share"])
    job = api(page, "POST", "/api/lessons/spurious", json={}).json()["job"]
    assert job["status"] == "done"
    curve = api(page, "GET", job["result"]).json()["curve"]
    assert share == min(p["mixed_share"] for p in curve if p["accuracy_swapped_backgrounds"] >= 0.9)
    assert "It first passes 90% at" in page.get_by_test_id("spurious-answer").inner_text()


def test_the_background_lesson_shows_part_one_before_it_starts_part_two(page):
    """Part 1 (the classifier that learned the background) is the lesson's main result: the
    cure's job, which embeds 368 scenes, is asked for only once part 1's scores are shown."""
    page.add_init_script("""(() => {
        const plain = window.fetch;
        window.curePosted = [];
        window.fetch = (url, options = {}) => {
            if (String(url).endsWith('/api/lessons/spurious') && options.method === 'POST') {
                const scores = document.querySelector('[data-testid=spurious-scores]');
                window.curePosted.push({ scores: scores ? scores.textContent : '' });
            }
            return plain(url, options);
        };
    })()""")
    page.goto(page.base + f"/#lesson=spurious&sample={SAMPLE}")
    page.get_by_test_id("spurious-cure-waiting").wait_for()  # said while part 1 runs
    wait_ready(page, "spurious")
    posted = page.evaluate("window.curePosted")
    assert len(posted) == 1
    assert posted[0]["scores"].startswith("Test photos on the training backgrounds:")
    assert page.get_by_test_id("spurious-cure-waiting").is_hidden()


def reveal_answer(page, testid: str) -> dict:
    """A "Try this" question's answer: hidden until its button is pressed, then shown; its
    numbers (data-*)."""
    answer, button = page.get_by_test_id(testid), page.get_by_test_id(f"{testid}-show")
    assert answer.is_hidden() and button.is_visible()
    assert button.inner_text() == "Show the answer"
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    answer.wait_for()
    assert answer.inner_text().strip() and button.get_attribute("aria-expanded") == "true"
    return data(page, testid)


def check_how_many_images(page, image):
    # The "Try this" asks how far apart the curves are at three photos: the answer waits.
    read = reveal_answer(page, "curves-read")
    assert read["at"] == "3"
    said = page.get_by_test_id("curves-read").inner_text()
    gap = round(100 * abs(float(read["coarse"]) - float(read["fine"])))
    assert said.startswith("At 3 photos per class") and f"{gap} percentage points apart" in said
    assert page.get_by_test_id("curves-plot").locator("path.series").count() >= 2


CHECKS = {
    "dot-product": check_dot_product, "edges": check_edges, "translation": check_translation,
    "learned-filters": check_learned_filters, "hierarchy": check_hierarchy,
    "parameter-sharing": check_parameter_sharing, "pooling": check_pooling,
    "output-size": check_output_size, "relu": check_relu, "dog-maps": check_dog_maps,
    "transfer": check_transfer, "spurious": check_spurious,
    "how-many-images": check_how_many_images,
}


@pytest.fixture(scope="module")
def catalogue(base_url):
    lessons = httpx.get(base_url + "/api/lessons", timeout=30).json()["lessons"]
    assert [lesson["id"] for lesson in lessons] == LESSON_IDS
    return {lesson["id"]: lesson for lesson in lessons}


def check_words(page, lesson):
    assert page.get_by_test_id("lesson-title").inner_text() == lesson["title"]
    assert page.get_by_test_id("lesson-text").inner_text() == lesson["text"]
    assert lesson["try"] in page.get_by_test_id("lesson-try").inner_text()
    assert page.get_by_test_id("lesson-error").is_hidden()


@pytest.mark.parametrize("source", ["sample", "upload"])
@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_lesson_opens_by_its_link_and_runs_on_the_photo(page, catalogue, lesson_id, source):
    LESSON_SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(page.base + f"/#lesson={lesson_id}&sample={SAMPLE}")
    wait_ready(page, lesson_id)
    assert page.get_by_test_id("tab-lessons").get_attribute("aria-selected") == "true"
    assert page.get_by_test_id("lessons").is_visible()
    if source == "upload":
        before = image_id(page)
        page.get_by_test_id("file-input").set_input_files(
            files=[{"name": "my-photo.png", "mimeType": "image/png", "buffer": uploaded_photo()}])
        page.wait_for_function("b => { const i = new URLSearchParams(location.hash.slice(1))"
                               ".get('image'); return i && i !== b; }", arg=before, timeout=READY)
        wait_ready(page, lesson_id)  # the experiment follows the new photo
    check_words(page, catalogue[lesson_id])
    CHECKS[lesson_id](page, image_id(page))
    page.screenshot(path=str(LESSON_SHOTS / f"{lesson_id}-{source}.png"), full_page=True)


@pytest.mark.parametrize("lesson_id", LESSON_IDS)
def test_every_lesson_fits_a_phone(browser, base_url, lesson_id):
    LESSON_SHOTS.mkdir(parents=True, exist_ok=True)
    context = new_context(browser, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(base_url + f"/#lesson={lesson_id}&sample={SAMPLE}")
        wait_ready(page, lesson_id)
        page.screenshot(path=str(LESSON_SHOTS / f"{lesson_id}-phone.png"), full_page=True)
        # Nothing scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
    assert errors == []


def test_translation_readout_sits_by_its_slider_on_a_phone(browser, base_url):
    """On a phone the readout of a shift ('Shift 1 px: ... 0.97') is right under the slider,
    and the view and both maps follow in one row, not three screens further down."""
    context = new_context(browser, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        page.goto(base_url + f"/#lesson=translation&sample={SAMPLE}")
        wait_ready(page, "translation")
        set_range(page, "shift", 1)
        page.wait_for_function("() => document.querySelector('[data-testid=shift-now]')"
                               ".dataset.shift === '1'", timeout=READY)
        slider = page.get_by_test_id("shift").bounding_box()
        readout = page.get_by_test_id("shift-now").bounding_box()
        assert 0 <= readout["y"] - (slider["y"] + slider["height"]) < 40
        top = "e => e.closest('figure').getBoundingClientRect().top"
        tops = [page.get_by_test_id(t).evaluate(top)
                for t in ("shift-view-caption", "shift-map-caption")]
        assert tops[0] == tops[1]  # side by side
        # The slider, its readout and the pictures' top within one phone screen.
        assert tops[0] + 100 - (slider["y"] - 10) < 844
    finally:
        context.close()


def test_a_lesson_is_two_clicks_from_the_start_page_and_walks_in_order(page, catalogue):
    page.goto(page.base + "/")
    page.get_by_test_id("tab-lessons").click()
    cards = page.get_by_test_id("lesson-cards").locator("a")
    cards.first.wait_for()
    assert cards.count() == len(LESSON_IDS)
    titles = [c.split("\n")[1] for c in cards.all_inner_texts()]
    assert titles == [catalogue[i]["title"] for i in LESSON_IDS]
    LESSON_SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(LESSON_SHOTS / "list.png"), full_page=True)
    page.get_by_test_id("lesson-card-pooling").click()
    wait_ready(page, "pooling")
    assert "lesson=pooling" in page.url
    page.get_by_test_id("lesson-next").click()
    wait_ready(page, "output-size")
    assert page.get_by_test_id("lesson-count").inner_text() == "Lesson 8 of 13"
    page.get_by_test_id("lesson-previous").click()
    wait_ready(page, "pooling")
    page.go_back()  # the browser's Back button walks back through the lessons too
    wait_ready(page, "output-size")
    page.get_by_test_id("lesson-all").click()
    page.get_by_test_id("lesson-list").wait_for()
    assert page.get_by_test_id("lesson").is_hidden()


def test_the_first_and_last_lessons_have_one_neighbour(page):
    page.goto(page.base + "/#lesson=dot-product")
    wait_ready(page, "dot-product")
    assert page.get_by_test_id("lesson-previous").is_hidden()
    assert page.get_by_test_id("lesson-next").inner_text().startswith("Next:")


def test_large_type_is_kept_in_the_link(page, browser, base_url):
    page.goto(page.base + "/#lesson=edges")
    wait_ready(page, "edges")
    font = "e => parseFloat(getComputedStyle(e).fontSize)"
    size = page.get_by_test_id("lesson-text").evaluate(font)
    page.get_by_test_id("large-type").check()
    page.wait_for_function("() => location.hash.includes('big=1')")
    bigger = page.get_by_test_id("lesson-text").evaluate(font)
    assert bigger > size * 1.2
    link = page.url
    other = new_context(browser, viewport={"width": 1400, "height": 1000}).new_page()
    try:
        other.goto(link)
        wait_ready(other, "edges")
        assert other.get_by_test_id("large-type").is_checked()
        assert other.evaluate("document.body.classList.contains('large-type')")
        other.screenshot(path=str(LESSON_SHOTS / "edges-large-type.png"), full_page=True)
    finally:
        other.context.close()


SMALLEST_TEXT = """root => {
    // The smallest type on screen in px, as drawn: an SVG's text scaled with its picture.
    let smallest = { size: Infinity, text: '' };
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const e = n.parentElement;
        if (!n.textContent.trim() || !e.getClientRects().length) continue;
        let size = parseFloat(getComputedStyle(e).fontSize);
        const plot = e.closest('svg');
        if (plot) size *= plot.getBoundingClientRect().width / plot.viewBox.baseVal.width;
        if (size < smallest.size) smallest = { size, text: n.textContent.trim().slice(0, 40) };
    }
    return smallest;
}"""

PLOT_CLASHES = """root => {
    // Plot labels cut off at the plot's edge, or drawn over one another.
    const clashes = [];
    for (const plot of root.querySelectorAll('svg[data-area]')) {
        const edge = plot.getBoundingClientRect();
        const labels = [...plot.querySelectorAll('text')].filter((t) => t.getClientRects().length)
            .map((t) => ({ text: t.textContent, r: t.getBoundingClientRect() }));
        for (const { text, r } of labels) {
            if (r.left < edge.left - 1 || r.right > edge.right + 1 || r.top < edge.top - 1
                || r.bottom > edge.bottom + 1) clashes.push(`${text}: cut off`);
        }
        labels.forEach((a, i) => labels.slice(i + 1).forEach((b) => {
            const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
            const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
            if (w > 1 && h > 1) clashes.push(`${a.text} over ${b.text}`);
        }));
    }
    return clashes;
}"""


@pytest.mark.parametrize("lesson_id", ["dot-product", "learned-filters", "hierarchy", "relu",
                                       "dog-maps", "transfer"])
def test_large_type_grows_every_word_and_label(page, lesson_id):
    """On a projector: under large type no text of the lesson stays small (the inspector's
    tables, plot labels and captions grow too), and no plot label is cut off or drawn over
    another; the same plots fit in ordinary type."""
    page.goto(page.base + f"/#lesson={lesson_id}&sample={SAMPLE}&big=1")
    wait_ready(page, lesson_id)
    lesson = page.get_by_test_id("lesson")
    smallest = lesson.evaluate(SMALLEST_TEXT)
    assert smallest["size"] >= 16, smallest  # ordinary body text is 16 px
    assert lesson.evaluate(PLOT_CLASHES) == []
    if lesson_id == "learned-filters":
        assert labels_overflowing(page) == []
    page.screenshot(path=str(LESSON_SHOTS / f"{lesson_id}-large-type.png"), full_page=True)
    page.get_by_test_id("large-type").uncheck()  # the plots fit again in the smaller type
    page.wait_for_function("() => !document.body.classList.contains('large-type')")
    assert lesson.evaluate(PLOT_CLASHES) == []


def test_large_type_keeps_the_lesson_numbers_apart_from_their_titles(page):
    page.goto(page.base + "/#tab=lessons&big=1")
    cards = page.get_by_test_id("lesson-cards").locator("a")
    cards.first.wait_for()
    # The digits as drawn (a text range: the number's box may be narrower than its digits).
    gaps = cards.evaluate_all("""cards => cards.map((c) => {
        const digits = document.createRange();
        digits.selectNodeContents(c.querySelector('.lesson-number'));
        return c.querySelector('strong').getBoundingClientRect().left
            - digits.getBoundingClientRect().right;
    })""")
    assert len(gaps) == len(LESSON_IDS) and min(gaps) >= 6, gaps  # "10Inside" touched
    page.screenshot(path=str(LESSON_SHOTS / "list-large-type.png"), full_page=True)


def test_an_unknown_lesson_shows_the_list_and_says_so(page):
    page.goto(page.base + "/#lesson=no-such-lesson")
    page.get_by_test_id("lesson-list").wait_for()
    error = page.get_by_test_id("lesson-list-error")
    error.wait_for()
    assert 'no lesson called "no-such-lesson"' in error.inner_text()


def test_a_link_out_of_a_lesson_carries_its_settings(page):
    page.goto(page.base + f"/#lesson=relu&sample={SAMPLE}")
    wait_ready(page, "relu")
    image = image_id(page)
    page.get_by_role("link", name="Open in the kernel playground (ReLU on)").click()
    page.wait_for_function("() => !document.querySelector('[data-panel=playground]').hidden")
    assert page.get_by_test_id("relu").is_checked()
    assert image_id(page) == image
    page.wait_for_function("() => document.querySelector('[data-testid=output-size]')"
                           ".textContent !== ''", timeout=READY)


AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.parametrize("lesson_id", ["", "dot-product", "translation", "learned-filters",
                                       "hierarchy", "parameter-sharing", "pooling", "output-size",
                                       "relu"])
def test_axe_finds_nothing_in_the_lessons(page, lesson_id):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it with npm (tests/browser/axe)")
    page.goto(page.base + (f"/#lesson={lesson_id}" if lesson_id else "/#tab=lessons"))
    if lesson_id:
        wait_ready(page, lesson_id)
    else:
        page.get_by_test_id("lesson-cards").locator("a").first.wait_for()
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const only = { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } };
        const r = await axe.run(document, only);
        return r.violations.map((v) => ({ id: v.id, impact: v.impact,
          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
    }""")
    assert found == [], found
