// Page entry: tabs, the photo source, the playground; the CNN tab loads on first use.
import { installSourceControls, restore } from "./images.js";
import { state, subscribe, update } from "./state.js";
import { showError } from "./status.js";
import { startPlayground } from "./playground.js";

// Tabs whose module loads on first use (the playground is always there).
const LAZY = { cnn: () => import("./cnn.js"), teach: () => import("./teach.js"), lessons: () => import("./lessons.js") };
const started = new Set();

function showTab(tab) {
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === tab));
  }
  for (const panel of document.querySelectorAll("[data-panel]")) panel.hidden = panel.dataset.panel !== tab;
  if (LAZY[tab] && !started.has(tab)) {
    started.add(tab);
    LAZY[tab]()
      .catch(() => {
        started.delete(tab); // let a later click try again
        throw new Error(`The "${tab}" tab could not be loaded (its script is missing or broken); the playground still works.`);
      })
      .then((m) => m.start(document.querySelector(`[data-panel="${tab}"]`)))
      .catch((err) => showError(err));
  }
}

function markSample() {
  for (const b of document.querySelectorAll("[data-sample]")) b.classList.toggle("active", b.dataset.sample === state.sample);
}

async function main() {
  installSourceControls(document);
  const tabs = [...document.querySelectorAll("[data-tab]")];
  for (const button of tabs) {
    button.setAttribute("aria-controls", `panel-${button.dataset.tab}`);
    button.addEventListener("click", () => update({ tab: button.dataset.tab }));
    // The tab list's keyboard pattern: left/right move to the neighbouring tab.
    button.addEventListener("keydown", (e) => {
      const step = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
      if (!step) return;
      const next = tabs[(tabs.indexOf(button) + step + tabs.length) % tabs.length];
      next.focus();
      update({ tab: next.dataset.tab });
    });
  }
  subscribe((s, changed) => {
    if (changed.has("tab")) showTab(s.tab);
    if (changed.has("sample")) markSample();
  });
  markSample();
  try {
    await restore();
  } catch (err) {
    showError(err);
  }
  await startPlayground(document.querySelector('[data-panel="playground"]'));
  showTab(state.tab);
}

if (document.body.dataset.page === "app") main();
