// The only module that calls fetch. Errors arrive as ApiError {status, code, message}.

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

async function raiseFor(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON: fall through */ }
  const e = body && body.error;
  if (e) throw new ApiError(e.status, e.code, e.message, e.details);
  throw new ApiError(response.status, "http_error", `The server answered ${response.status}.`);
}

async function call(url, options = {}) {
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached; is it still running?");
  }
  if (!response.ok) await raiseFor(response);
  return response;
}

const json = (body) => ({
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

export async function getJson(url) {
  return (await call(url)).json();
}

export async function postJson(url, body) {
  return (await call(url, json(body))).json();
}

export async function uploadImage(blob, name = "upload") {
  const form = new FormData();
  form.append("file", blob, name);
  return (await call("/api/images", { method: "POST", body: form })).json();
}

export async function loadSample(sampleId) {
  return (await call(`/api/samples/${encodeURIComponent(sampleId)}/image`, { method: "POST" })).json();
}

export async function convolve(imageId, spec, { format = "jpeg", as = "image" } = {}) {
  const url = `/api/images/${imageId}/convolve?format=${format}&as=${as}`;
  const response = await call(url, json(spec));
  const summary = response.headers.get("X-Conv-Summary");
  const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
  return { blob: await response.blob(), summary: summary ? JSON.parse(summary) : null, filename: named ? named[1] : null };
}

export async function inspect(imageId, spec) {
  return postJson(`/api/images/${imageId}/inspect`, spec);
}

export async function getBlob(url) {
  return (await call(url)).blob();
}

// A picture and the headers that describe it (e.g. X-Gradcam-Max).
export async function getBlobWithHeaders(url) {
  const response = await call(url);
  return { blob: await response.blob(), headers: response.headers };
}

export async function postFile(url, blob, name = "upload") {
  const form = new FormData();
  form.append("file", blob, name);
  return (await call(url, { method: "POST", body: form })).json();
}

export async function deleteResource(url) {
  await call(url, { method: "DELETE" });
}
