// One job's progress, as every tab shows it: a bar, what it is doing, a cancel button, and
// its error, which stays on screen until the next job starts.
import { el } from "../dom.js";
import { cancel, ended } from "../jobs.js";

export class JobProgress {
  constructor(root) {
    this.bar = el("progress", { max: 1, value: 0 });
    this.message = el("span", { className: "job-message" });
    this.stop = el("button", { type: "button", textContent: "Cancel", className: "link", hidden: true });
    this.error = el("p", { className: "job-error", hidden: true });
    this.error.setAttribute("role", "alert");
    this.job = null;
    this.kept = null;  // the job this page may not cancel: others asked for it too, or not this page
    this.stop.addEventListener("click", () => {
      if (this.job && !ended(this.job)) {
        const job = this.job;
        this.stop.disabled = true;
        cancel(job).then((j) => this.show(j)).catch((err) => {
          // 409: other pages wait for the same job, so it goes on; 404: this page did not ask
          // for it. Either way asking again would be refused again: the button goes.
          if (err.code === "conflict" || err.code === "not_found") {
            this.kept = job.id;
            this.stop.hidden = true;
          }
          this.fail(err.message);
        });
      }
    });
    root.classList.add("job-progress");
    root.replaceChildren(this.bar, this.message, this.stop, this.error);
    for (const [node, id] of [[this.bar, "bar"], [this.message, "message"], [this.stop, "cancel"], [this.error, "error"]]) {
      node.setAttribute("data-testid", `${root.dataset.testid}-${id}`);
    }
  }

  // A job's state, as a 202 or GET /api/jobs/{id} gave it.
  show(job) {
    if (!this.job || this.job.id !== job.id) this.error.hidden = true;  // a new job: old error goes
    this.job = job;
    this.bar.value = job.progress;
    this.message.textContent = job.status === "queued" || job.status === "running"
      ? job.message : `${job.status}${job.status === "done" ? "" : `: ${job.message}`}`;
    this.stop.hidden = ended(job) || this.kept === job.id;
    this.stop.disabled = false;
    if (job.status === "failed") this.fail(job.error ? job.error.message : job.message);
  }

  fail(message) {
    this.error.textContent = message;
    this.error.hidden = false;
  }
}
