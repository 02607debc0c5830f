"""Live edits in a real browser: over one WebSocket when it connects, over HTTP when not."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

STATS = "document.querySelector('[data-testid=stats]')"


def open_dog(page) -> None:
    page.goto(page.base + "/#sample=dog_german_shepherd&channels=rgb")
    page.wait_for_function("() => document.querySelector('[data-testid=output-size]')"
                           ".textContent === '1024×768'")


def drag_bias(page, to: int) -> None:
    """Set the bias as a dragged slider does (input events), then wait for that output."""
    page.evaluate("""to => { const bias = document.querySelector('[data-testid=bias]');
      for (let v = 1; v <= to; v++) { bias.value = String(v);
        bias.dispatchEvent(new Event('input', { bubbles: true })); } }""", to)
    page.wait_for_function("() => { const i = document.querySelector('[data-testid=output-image]');"
                           " return i.complete && i.naturalWidth > 0; }")


def mean_shown(page) -> float:
    text = page.evaluate(f"{STATS}.textContent")
    return float(text.split("mean ")[1].split(",")[0])


def test_edits_and_their_pictures_travel_over_one_websocket(page):
    http_edits: list[str] = []
    frames: list[bytes] = []
    page.on("request", lambda r: http_edits.append(r.url) if "/convolve" in r.url else None)
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f)))
    open_dog(page)
    before = mean_shown(page)
    drag_bias(page, 40)
    page.wait_for_function(f"m => {STATS}.textContent.includes('mean ') && "
                           f"Number({STATS}.textContent.split('mean ')[1].split(',')[0]) > m + 39",
                           arg=before)
    assert mean_shown(page) == pytest.approx(before + 40, abs=0.05)
    assert frames and http_edits == []


def test_where_websockets_are_refused_edits_go_over_http(page):
    page.route_web_socket("**/api/playground/live", lambda ws: ws.close())
    http_edits: list[str] = []
    page.on("request", lambda r: http_edits.append(r.url) if "/convolve" in r.url else None)
    open_dog(page)
    before = mean_shown(page)
    drag_bias(page, 25)
    page.wait_for_function(f"m => Number({STATS}.textContent.split('mean ')[1].split(',')[0])"
                           " > m + 24", arg=before)
    assert mean_shown(page) == pytest.approx(before + 25, abs=0.05)
    assert http_edits  # the same edits, sent as POST /api/images/{id}/convolve
    assert page.get_by_test_id("status").inner_text() == ""


def test_a_slow_live_answer_shows_updating_until_it_arrives(page):
    route: dict = {"hold": False, "held": []}

    def between(ws) -> None:  # passes answers on, or keeps them while route["hold"]
        route["page_side"] = ws
        server = ws.connect_to_server()
        server.on_message(lambda m: route["held"].append(m) if route["hold"] else ws.send(m))

    page.route_web_socket("**/api/playground/live", between)
    open_dog(page)
    image = page.get_by_test_id("output-image")
    before = image.get_attribute("src")
    route["hold"] = True
    page.get_by_test_id("kernel-cell-1-1").fill("1")
    busy = page.get_by_test_id("busy")
    busy.wait_for(state="visible")  # shown once the answer takes longer than 150 ms
    for _ in range(600):  # the answer reaches the route (and stays there)
        if route["held"]:
            break
        page.wait_for_timeout(50)
    assert route["held"] and image.get_attribute("src") == before
    route["hold"] = False
    for message in route["held"]:
        route["page_side"].send(message)
    page.wait_for_function("old => { const i = document.querySelector("
                           "'[data-testid=output-image]');"
                           " return i.src !== old && i.complete && i.naturalWidth > 0; }",
                           arg=before)
    busy.wait_for(state="hidden")


def test_a_frame_drawn_at_half_size_comes_halved_and_zooming_in_brings_every_pixel(page):
    open_dog(page)  # 1024x768 drawn at "fit", under half its size in a 1400 px window
    natural = "() => document.querySelector('[data-testid=output-image]').naturalWidth"
    drag_bias(page, 5)
    page.wait_for_function(f"() => ({natural})() === 512")
    assert page.get_by_test_id("output-size").inner_text() == "1024×768"  # the output's size
    page.get_by_test_id("zoom").fill("1")  # 100%: one output pixel per screen pixel
    page.wait_for_function(f"() => ({natural})() === 1024")
