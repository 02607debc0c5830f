"""Live in the browser: outputs per second while the bias is dragged for 3 s, at 1024x768.

Chromium (Debian's, headless) on the playground with the dog (1024x768), RGB channels; the
bias rises by one every 16 ms for 3 s (a slider dragged at 60 Hz, as the page sees it:
``input`` events). Counted: the outputs that were drawn, and whether any drawn output was older than
one already shown (the bias each picture was made with is read back from its statistics:
the mean rises by one per step of bias, so it must never fall).
"""

from __future__ import annotations

import re
import shutil

from bench.report import figure
from bench.server import running_server

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

# A drag of the bias at 60 Hz for 3 s, in the page (a script's key presses are slower).
DRAG = """() => new Promise((done) => {
  const bias = document.querySelector('[data-testid=bias]');
  let steps = 0;
  const timer = setInterval(() => {
    bias.value = String(Number(bias.value) + 1);
    bias.dispatchEvent(new Event('input', { bubbles: true }));
    steps += 1;
  }, 16);
  setTimeout(() => { clearInterval(timer); done(steps); }, 3000);
})"""

# Every drawn output: the moment its picture loaded and the statistics shown with it.
OBSERVE = """
window.drawn = [];
const out = document.querySelector('[data-testid=output-image]');
out.addEventListener('load', () => window.drawn.push([performance.now(),
  document.querySelector('[data-testid=stats]').textContent]));
"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    with running_server(env={"CONVLENS_LOAD_MODEL": "0"}) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or
                                    "/usr/bin/chromium", args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 850})
        page.goto(base + "/#sample=dog_german_shepherd&channels=rgb")
        page.wait_for_function("() => document.querySelector('[data-testid=output-size]')"
                               ".textContent === '1024×768'", timeout=60_000)
        page.wait_for_load_state("networkidle")
        page.evaluate(OBSERVE)
        start = page.evaluate("performance.now()")
        presses = page.evaluate(DRAG)
        page.wait_for_load_state("networkidle")
        drawn = [d for d in page.evaluate("window.drawn") if d[0] >= start]
        browser.close()
    span = max(d[0] for d in drawn) - start if drawn else 3000
    means = [float(re.search(r"mean (-?[\d.e+-]+)", text).group(1)) for _, text in drawn]
    older = sum(1 for a, b in zip(means, means[1:], strict=False) if b < a - 1e-6)
    print(f"  {presses} bias steps in 3 s, {len(drawn)} outputs drawn in {span / 1000:.2f} s")
    figure("browser: outputs drawn per second, 3 s bias drag, 1024x768 RGB", len(drawn) /
           (span / 1000), "fps", 30, better="higher")
    figure("browser: outputs drawn older than one already shown", older, "count", 0)


if __name__ == "__main__":
    main()
