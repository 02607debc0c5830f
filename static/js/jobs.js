// Following a job the server runs (GET /api/jobs/{id}) until it is done, failed or cancelled.
import { ApiError, cancelJob, getJob } from "./api.js";

const ENDED = new Set(["done", "failed", "cancelled"]);
export const ended = (job) => ENDED.has(job.status);

// Poll `job` (as a 202 gave it) every `every` ms, telling onUpdate each state; resolves to
// the final state. A network error on one poll is retried (the job goes on on the server);
// a job the server no longer knows (it restarted, or the record expired) ends the wait at
// once with words that say what to do.
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
      if (err instanceof ApiError && err.status === 404) {
        throw new ApiError(404, "job_gone", "This job is no longer on the server (it restarted, " +
          "or the job was finished too long ago); start it again.");
      }
      if (++misses >= 10) throw err;  // the server is gone for good: say so
      continue;
    }
    onUpdate(current);
  }
  return current;
}

export const cancel = (job) => cancelJob(job.url);
