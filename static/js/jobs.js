// Following a job the server runs (GET /api/jobs/{id}) until it is done, failed or cancelled.
import { cancelJob, getJob } from "./api.js";

const ENDED = new Set(["done", "failed", "cancelled"]);
export const ended = (job) => ENDED.has(job.status);

// Poll `job` (as a 202 gave it) every `every` ms, telling onUpdate each state; resolves to
// the final state. A network error on one poll is retried (the job goes on on the server).
export async function followJob(job, onUpdate = () => {}, { every = 300 } = {}) {
  let current = job;
  onUpdate(current);
  let misses = 0;
  while (!ended(current)) {
    await new Promise((r) => setTimeout(r, every));
    try {
      current = await getJob(current.url);
      misses = 0;
    } catch (err) {
      if (++misses >= 10) throw err;  // the server is gone for good: say so
      continue;
    }
    onUpdate(current);
  }
  return current;
}

export const cancel = (job) => cancelJob(job.url);
