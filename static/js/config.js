// What the server wrote into the page once (templates/index.html, app/http/pages.py):
// the playground's choices and bounds and the stage ids, so no script repeats them.

const node = document.getElementById("convlens-config");
export const config = JSON.parse(node.textContent);

const values = (name) => config.playground.choices[name].map((c) => c.value);
export const bounds = config.playground.bounds;
export const labels = (name) => Object.fromEntries(config.playground.choices[name].map((c) => [c.value, c.label]));

// Keys of the link with a fixed set of values (lib/hashstate.js keeps anything else out).
export const CHOICES = Object.freeze({
  tab: [...document.querySelectorAll("[data-tab]")].map((b) => b.dataset.tab),
  border: values("border"),
  channels: values("channels"),
  pool: ["", ...values("pool")],
  display: values("display"),
  outSize: ["true", "aligned"],
});
