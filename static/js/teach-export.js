// Keeping a trained classifier: the small head file, backbone + head as TorchScript, or as
// ONNX. The ONNX exporter takes seconds: the first ask starts its job (its progress shown
// in the card), the ask after it is done gives the file.
import * as api from "./api.js";
import { download } from "./dom.js";
import { followJob } from "./jobs.js";
import { JobProgress } from "./render/job-progress.js";
import { guard } from "./status.js";
import { startIn } from "./teach-jobs.js";

const EXTENSIONS = { head: "pt", torchscript: "pt", onnx: "onnx" };

// q: the tab's finder; project(): the project on screen.
export function exportCard(q, project) {
  const progress = new JobProgress(q("export-job"));
  let failed = null;  // the ONNX export job this page last saw fail

  // The ONNX file, or null when its export failed or was cancelled (its progress says so).
  // The server tells a failed export's reason once; this page has shown it already, so a
  // click after it retries.
  async function onnxFile(pid) {
    for (let asks = 0; asks < 3; asks += 1) {
      let got;
      try {
        got = await api.onnxExport(pid);
      } catch (err) {
        const seen = err instanceof api.ApiError && err.code === "conflict" && err.details.job === failed;
        if (!seen) throw err;
        failed = null;
        continue;
      }
      if (got.blob) return got.blob;
      const last = await followJob(got.job, (j) => progress.show(j));
      if (last.status === "failed") failed = last.id;
      if (last.status !== "done") return null;
    }
    return null;
  }

  async function save(format) {
    const pid = project().id;
    const blob = format === "onnx" ? await onnxFile(pid) : await api.exportBlob(pid, format);
    if (blob) download(blob, `convlens-${format}.${EXTENSIONS[format]}`);
  }

  for (const format of ["head", "torchscript"]) {
    q(`export-${format}`).addEventListener("click", () => guard(() => save(format)));
  }
  q("export-onnx").addEventListener("click", () => startIn(q("export-job"), progress, () => save("onnx")));
}
