// The only module that knows the API's URLs and calls fetch. Errors arrive as
// ApiError {status, code, message, details}: the page branches on code, shows message.

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

// This browser's own random id: the server bounds queued jobs per client, and a classroom
// behind one address is many clients.
const CLIENT = (() => {
  try {
    let id = localStorage.getItem("convlens-client");
    if (!id) localStorage.setItem("convlens-client", id = crypto.randomUUID().replaceAll("-", ""));
    return id;
  } catch { return crypto.randomUUID().replaceAll("-", ""); }
})();

async function call(url, options = {}) {
  let response;
  try {
    response = await fetch(url, { ...options, headers: { ...(options.headers || {}), "X-ConvLens-Client": CLIENT } });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached; is it still running?");
  }
  if (!response.ok) await raiseFor(response);
  return response;
}

const json = (body, method = "POST") => ({
  method,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify(body),
});

const form = (blob, name) => {
  const data = new FormData();
  data.append("file", blob, name);
  return { method: "POST", body: data };
};

const getJson = async (url) => (await call(url)).json();
const postJson = async (url, body = {}) => (await call(url, json(body))).json();
const getBlob = async (url) => (await call(url)).blob();
const postFile = async (url, blob, name = "upload") => (await call(url, form(blob, name))).json();
const remove = async (url) => { await call(url, { method: "DELETE" }); };
const enc = encodeURIComponent;
const query = (params) => new URLSearchParams(params).toString();

// A picture and the headers that describe it (X-Gradcam-Max, Content-Disposition).
async function blobWithHeaders(url, options) {
  const response = await call(url, options);
  return { blob: await response.blob(), headers: response.headers };
}

// --- Images and samples ------------------------------------------------------------------

export const imageUrl = (id) => `/api/images/${enc(id)}`;
export const uploadImage = (blob, name = "upload") => postFile("/api/images", blob, name);
export const loadSample = (sampleId) => postJson(`/api/samples/${enc(sampleId)}/image`);
export const imageBlob = (id) => getBlob(imageUrl(id));

// --- Kernel playground -------------------------------------------------------------------

export const presets = () => getJson("/api/kernels/presets");

export async function convolve(imageId, spec, { format = "jpeg", as = "image" } = {}) {
  const { blob, headers } = await blobWithHeaders(
    `${imageUrl(imageId)}/convolve?${query({ format, as })}`, json(spec));
  const summary = headers.get("X-Conv-Summary");
  const named = /filename="([^"]+)"/.exec(headers.get("Content-Disposition") || "");
  return { blob, summary: summary ? JSON.parse(summary) : null, filename: named ? named[1] : null };
}

export const inspect = (imageId, spec) => postJson(`${imageUrl(imageId)}/inspect`, spec);

// --- Inside the CNN ----------------------------------------------------------------------

export const describeModel = () => getJson("/api/model");
export const searchClasses = (text) => getJson(`/api/model/classes?${query({ q: text })}`);
export const stemFilters = () => getJson("/api/model/filters/stem");
export const predict = (id) => postJson(`${imageUrl(id)}/predict`);
export const cropBlob = (id) => getBlob(`${imageUrl(id)}/crop`);
export const stageStrengths = (id) => getJson(`${imageUrl(id)}/stages`);
export const stageSummary = (id, layer, order) => getJson(`${imageUrl(id)}/stages/${enc(layer)}?${query({ order })}`);
export const atlasBlob = (id, layer, order) => getBlob(`${imageUrl(id)}/stages/${enc(layer)}/atlas?${query({ order })}`);
export const channelDetail = (id, layer, c) => getJson(`${imageUrl(id)}/stages/${enc(layer)}/channels/${c}`);
export const pooledVector = (id) => getJson(`${imageUrl(id)}/pooled`);
export const attribution = (id, cls, stage) => getJson(`${imageUrl(id)}/attribution?${query({ class: cls, stage })}`);
// {blob, headers}: the map's peak rides in X-Gradcam-Max (0 means an all-zero map).
export const gradcam = (id, cls, stage, as = "overlay") =>
  blobWithHeaders(`${imageUrl(id)}/gradcam?${query({ class: cls, stage, as })}`);

// --- Jobs (everything that takes seconds) ------------------------------------------------

export const jobUrl = (id) => `/api/jobs/${enc(id)}`;  // a job's URL also comes in its JSON
export const getJob = (url) => getJson(url);
export const cancelJob = (url) => call(url, { method: "DELETE" }).then((r) => r.json());

// --- Teach it ----------------------------------------------------------------------------

const project = (pid, path = "") => `/api/projects/${enc(pid)}${path}`;

export const createProject = () => postJson("/api/projects");
export const createDemo = () => postJson("/api/projects/demo");
export const getProject = (pid) => getJson(project(pid));
export const addClass = (pid, name) => postJson(project(pid, "/classes"), { name });
export const deleteClass = (pid, cid) => remove(project(pid, `/classes/${enc(cid)}`));
export const addPhotoFile = (pid, cid, file) => postFile(project(pid, `/classes/${enc(cid)}/images`), file, file.name);
export const addPhotoById = (pid, cid, imageId) => postJson(project(pid, `/classes/${enc(cid)}/images`), { image_id: imageId });
export const removePhoto = (pid, cid, imageId) => remove(project(pid, `/classes/${enc(cid)}/images/${enc(imageId)}`));
export const thumbUrl = (pid, imageId) => project(pid, `/images/${enc(imageId)}/thumb`);
export const train = (pid, body) => postJson(project(pid, "/train"), body);
export const projectPredict = (pid, imageId) => postJson(project(pid, "/predict"), { image_id: imageId });
export const projectGradcam = (pid, imageId, classId) =>
  getBlob(project(pid, `/gradcam?${query({ image_id: imageId, class_id: classId })}`));
export const exportBlob = (pid, format) => getBlob(project(pid, `/export?${query({ format })}`));
export const importClassifier = (pid, file) => postFile(project(pid, "/head"), file, file.name);

// --- What a channel looks for (feature visualisation, top image patches) -----------------

const channelPath = (stage, c) => `/api/stages/${enc(stage)}/channels/${c}`;
const patchQuery = (k, imageIds, extra = []) =>
  new URLSearchParams([["k", k], ...imageIds.map((id) => ["image_id", id]), ...extra]).toString();

// 202 {job}: follow it; job.extra.preview is the latest picture, job.result the finished one.
export const startVisualization = (stage, c, body = {}) => postJson(`${channelPath(stage, c)}/visualization`, body);
export const pictureBlob = (url) => getBlob(url);  // a URL a visualisation job gave
export const topPatches = (stage, c, k, imageIds = []) => getJson(`${channelPath(stage, c)}/top-patches?${patchQuery(k, imageIds)}`);
export const topPatchesBlob = (stage, c, k, imageIds = []) =>
  getBlob(`${channelPath(stage, c)}/top-patches?${patchQuery(k, imageIds, [["as", "image"]])}`);

// --- Lessons -----------------------------------------------------------------------------

export const lessons = () => getJson("/api/lessons");
// The raw float32 output of a convolution: {shape, data} is read from it by lib/lesson-values.js.
export const convolveValues = async (imageId, spec) =>
  (await call(`${imageUrl(imageId)}/convolve?${query({ as: "npy" })}`, json(spec))).arrayBuffer();
export const channelImage = (id, layer, c) => getBlob(`${imageUrl(id)}/stages/${enc(layer)}/channels/${c}?${query({ as: "image" })}`);

// 200 with the curve when it is computed, else 202 {job}: {status, body} says which.
const lessonPath = (id, path, params) => `${imageUrl(id)}/${path}?${query(params)}`;
async function resultOrJob(url, options) {
  const response = await call(url, options);
  return { status: response.status, body: await response.json() };
}
export const translationCurve = (id, params) => resultOrJob(lessonPath(id, "translation", params));
export const translationResult = (url) => getJson(url);  // a finished job's result link
// {blob, headers}: the map's fixed colour scale rides in X-Map-Range ("lo,hi").
export const translationMap = (id, params) => blobWithHeaders(lessonPath(id, "translation/map", params));
export const translationCrop = (id, params) => getBlob(lessonPath(id, "translation/crop", params));
export const receptiveField = (id, stage, x, y) => getJson(lessonPath(id, `stages/${enc(stage)}/receptive-field`, { x, y }));
// The effective field's raw values: |d unit / d pixel| over the model's 224x224 view (.npy).
export const effectiveField = async (id, stage, x, y) =>
  (await call(lessonPath(id, `stages/${enc(stage)}/receptive-field`, { x, y, as: "npy" }))).arrayBuffer();
export const startSpurious = () => postJson("/api/lessons/spurious");
export const startHowManyImages = (body = {}) => postJson("/api/lessons/how-many-images", body);
export const lessonResult = (url) => getJson(url);  // a lesson job's result link
// One of the bundled photos (static/dataset/, credited on the page), e.g. for a guided run of Teach it.
export const datasetPhoto = (name) => getBlob(`/static/dataset/${enc(name)}`);

// --- Teach it (new) ----------------------------------------------------------------------

export const listSamples = () => getJson("/api/samples");
// A camera frame judged as it is: neither stored nor cached on the server (one request a frame).
export const projectPredictFile = (pid, blob) => postFile(project(pid, "/predict"), blob, "frame.jpg");
// The four views a photo gives training (plain, mirrored, tighter crop, its mirror): a PNG strip.
export const photoViews = (pid, imageId) => getBlob(project(pid, `/images/${enc(imageId)}/views`));
// 202 {job}; done: job.result is the curve's URL.
export const startLearningCurve = (pid, body = {}) => postJson(project(pid, "/learning-curve"), body);
export const startScratch = (pid, body = {}) => postJson(project(pid, "/scratch"), body);
export const teachResult = (url) => getJson(url);  // a finished learning-curve or scratch job's result link
export const teachPicture = (url) => getBlob(url);  // a filters or maps URL a scratch job gave
export const scratchFiltersUrl = (pid, jobId, epoch) => project(pid, `/scratch/filters?${query({ job: jobId, epoch })}`);
export const scratchMaps = (pid, jobId, imageId) => getBlob(project(pid, `/scratch/maps?${query({ job: jobId, image_id: imageId })}`));
// The ONNX file of the current classifier: {blob} once exported, else {job} (202) exporting it:
// follow the job, then ask again.
export async function onnxExport(pid) {
  const response = await call(project(pid, `/export?${query({ format: "onnx" })}`));
  return response.status === 202 ? { job: (await response.json()).job } : { blob: await response.blob() };
}

// --- Saliency ----------------------------------------------------------------------------

export const saliencyMethods = () => getJson("/api/saliency/methods");
// A map: {blob, headers} (its peak in X-Saliency-Max), or for a slow method not computed yet
// {job} (202): follow it, then ask again (the finished job's result is the same map's URL).
export async function saliencyMap(id, params) {
  const response = await call(`${imageUrl(id)}/saliency?${query(params)}`);
  if (response.status === 202) return { job: (await response.json()).job };
  return { blob: await response.blob(), headers: response.headers };
}
// 202 {job}; once done, job.result is the URL of the typed result (measureResult).
export const startFaithfulness = (id, body) => postJson(`${imageUrl(id)}/faithfulness`, body);
export const startSanity = (id, body) => postJson(`${imageUrl(id)}/sanity`, body);
export const measureResult = (url) => getJson(url);  // a faithfulness or sanity job's result link
export const randomisedMapBlob = (url) => getBlob(url);  // a sanity result's randomised_map URL

// --- Kernel playground, live edits -------------------------------------------------------
// One WebSocket carries every edit and brings its picture back (no request per edit to
// parse, route and answer); where it cannot connect, the same edits go over HTTP.
// An answer is a text message {format, summary} and then the picture as a binary message,
// which arrives as a Blob (no copy through JavaScript); an error is one text message.

const MEDIA = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp", bmp: "image/bmp" };
const live = { socket: null, waiting: [], refused: false };

function liveMessage(data) {
  const next = live.waiting[0];
  if (!next) return;
  if (typeof data !== "string") {
    live.waiting.shift();
    next.resolve({ blob: data.slice(0, data.size, MEDIA[next.head.format]), summary: next.head.summary, filename: null });
    return;
  }
  const body = JSON.parse(data);
  if (!body.error) {
    next.head = body; // the picture follows
    return;
  }
  live.waiting.shift();
  const e = body.error;
  next.reject(new ApiError(e.status, e.code, e.message, e.details));
}

function openLive() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/playground/live`);
    ws.binaryType = "blob";
    let opened = false;
    ws.onopen = () => { opened = true; resolve(ws); };
    ws.onmessage = (e) => liveMessage(e.data);
    ws.onclose = () => {
      live.socket = null;
      if (!opened) live.refused = true; // never got through (a proxy, a firewall): HTTP from now on
      for (const next of live.waiting.splice(0)) next.reject(new Error("the live connection closed"));
      reject(new Error("no live connection"));
    };
  });
}

// Like convolve(id, spec, {format}) for the picture, over the live connection when there is one.
// Answers come in the order edits were sent: the caller keeps one in flight (lib/latest.js).
// drawnScale: device pixels per output pixel where the picture is drawn (at 1/2 or less the
// server sends it halved; the summary still describes the whole output).
export async function convolveLive(imageId, spec, { format = "jpeg", drawnScale = null } = {}) {
  if (!live.refused) {
    try {
      live.socket = live.socket || openLive();
      const ws = await live.socket;
      return await new Promise((resolve, reject) => {
        live.waiting.push({ resolve, reject });
        ws.send(JSON.stringify({ ...spec, image: imageId, format, drawn_scale: drawnScale }));
      });
    } catch (err) {
      if (err instanceof ApiError) throw err;
      // The connection failed or dropped: this edit goes over HTTP; the next tries again.
    }
  }
  return convolve(imageId, spec, { format });
}
