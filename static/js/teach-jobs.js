// A Teach job started from its own card: the card's progress shows it, and a refusal to
// start (too few photos, the server busy) is said there too, beside the button that was
// pressed, not in the status line at the top of a long page.
import { ApiError } from "./api.js";
import { guard } from "./status.js";

// root: the progress element (hidden until first used); progress: its JobProgress;
// task(): starts and follows the job.
export function startIn(root, progress, task) {
  return guard(async () => {
    root.hidden = false;
    try {
      return await task();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      progress.fail(err.message);
      return null;
    }
  });
}
