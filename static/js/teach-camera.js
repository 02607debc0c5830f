// The Teach tab's camera card: turning the camera on and off, the mirrored preview, and
// why it cannot start (the rest of the tab works without it).
import { Webcam } from "./webcam.js";

// q: the tab's finder; onChange(on): the camera went on or off. Returns the camera and
// off(), which turns it off (leaving the tab does: nobody is looking at it then).
export function cameraCard(q, onChange) {
  const camera = new Webcam(q("camera-video"));
  const button = q("camera-toggle");
  const problem = q("camera-problem");

  // While the card is scrolled away (recording into a class lower down, watching live
  // answers), the preview floats in a corner so the camera stays in sight. Its close button
  // tucks it into a small "camera on" chip: the camera keeps running (recording and live
  // answers go on); the chip brings the preview back. While it floats, the tab gets room
  // below its last card, so nothing has to stay under it.
  const view = q("camera-view");
  const chip = q("camera-chip");
  const tab = view.closest("[data-testid=teach]");
  let cardInView = true;
  let tucked = false;
  const float = () => {
    const away = camera.on && !cardInView;
    view.classList.toggle("floating", away && !tucked);
    q("camera-float-hide").hidden = !(away && !tucked);
    chip.hidden = !(away && tucked);
    tab.classList.toggle("camera-floats", away);
  };
  new IntersectionObserver(([entry]) => { cardInView = entry.isIntersecting; float(); }).observe(q("camera-card"));
  q("camera-float-hide").addEventListener("click", () => { tucked = true; float(); });
  chip.addEventListener("click", () => { tucked = false; float(); });

  function shown() {
    float();
    q("camera-video").hidden = !camera.on;
    q("camera-off").hidden = camera.on;
    button.textContent = camera.on ? "Turn the camera off" : "Turn the camera on";
    button.dataset.on = String(camera.on);
    onChange(camera.on);
  }

  button.addEventListener("click", async () => {
    if (camera.on) {
      camera.stop();
      return shown();
    }
    button.disabled = true;
    problem.hidden = true;
    try {
      await camera.start();
    } catch (err) {
      problem.textContent = err.message;
      problem.hidden = false;
    } finally {
      button.disabled = false;
    }
    shown();
  });
  if (!Webcam.available()) {
    // Say it before anyone presses the button: there is nothing to press for.
    camera.start().catch((err) => {
      problem.textContent = err.message;
      problem.hidden = false;
      button.disabled = true;
    });
  }
  shown();
  const off = () => {
    if (!camera.on) return;
    camera.stop();
    shown();
  };
  return { camera, off };
}
