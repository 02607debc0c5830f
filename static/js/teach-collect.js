// Getting photos into classes: one upload queue for files, folders, samples and camera
// frames. Each photo shows at once from the browser's own copy, goes to the server one at
// a time (each is a forward pass there), and a refused one keeps its reason on screen.
import * as api from "./api.js";
import { mayBePhoto } from "./lib/teach-text.js";

let serial = 0;

export class Collector {
  // onItems(classId): that class's items changed; onIdle(): the queue ran dry.
  constructor({ onItems, onIdle }) {
    this.onItems = onItems;
    this.onIdle = onIdle;
    this.byClass = new Map();  // classId -> [{key, name, url, status, error, imageId}]
    this.queue = [];
    this.running = false;
  }

  items(classId) {
    return this.byClass.get(classId) || [];
  }

  get busy() {
    return this.running || this.queue.length > 0;
  }

  // Queue photos for a class. Each source: {name, file} (a File or Blob) or {name, sample,
  // url} (a bundled sample); `url` previews it (a file's own copy is used when missing).
  add(projectId, classId, sources, onFailed = () => {}) {
    const list = this.byClass.get(classId) || [];
    for (const source of sources) {
      const item = { key: ++serial, name: source.name, status: "waiting", error: "", imageId: "" };
      if (source.file && !mayBePhoto(source.file)) {
        Object.assign(item, { status: "failed", error: "not a photo (JPEG, PNG, WebP, BMP or GIF)" });
      } else {
        item.url = source.url || URL.createObjectURL(source.file);
        item.owned = !source.url;
        this.queue.push({ item, projectId, classId, source, onFailed });
      }
      list.push(item);
    }
    this.byClass.set(classId, list);
    this.onItems(classId);
    this.pump();
  }

  async pump() {
    if (this.running) return;
    this.running = true;
    while (this.queue.length) {
      const { item, projectId, classId, source, onFailed } = this.queue.shift();
      item.status = "uploading";
      this.onItems(classId);
      try {
        const added = source.sample
          ? await api.addPhotoById(projectId, classId, (await api.loadSample(source.sample)).id)
          : await api.addPhotoFile(projectId, classId, asFile(source));
        Object.assign(item, { status: "done", imageId: added.image_id });
      } catch (err) {
        Object.assign(item, { status: "failed", error: err.message || String(err), code: err.code || "" });
        onFailed(item);
      }
      this.onItems(classId);
    }
    this.running = false;
    this.onIdle();
  }

  // The project as the server now has it: photos it shows drop out of the queue's list;
  // refused ones stay until cleared; a class that is gone takes its items with it.
  settle(project) {
    const known = new Map(project.classes.map((c) => [c.id, new Set(c.images)]));
    for (const [classId, list] of this.byClass) {
      const images = known.get(classId);
      const keep = images ? list.filter((i) => i.status !== "done" || !images.has(i.imageId)) : [];
      for (const gone of list.filter((i) => !keep.includes(i))) release(gone);
      this.byClass.set(classId, keep);
    }
  }

  clearFailed(classId) {
    const list = this.items(classId);
    for (const item of list.filter((i) => i.status === "failed")) release(item);
    this.byClass.set(classId, list.filter((i) => i.status !== "failed"));
    this.onItems(classId);
  }

  // A new project: nothing of the old one's queue belongs on screen.
  reset() {
    this.queue.length = 0;
    for (const list of this.byClass.values()) list.forEach(release);
    this.byClass.clear();
  }
}

function release(item) {
  if (item.owned && item.url) URL.revokeObjectURL(item.url);
}

function asFile(source) {
  if (source.file instanceof File) return source.file;
  return new File([source.file], source.name, { type: source.file.type || "image/jpeg" });
}

// Record from the camera into one class while its button is held: a frame every
// 1000 / fps ms, each queued at once. Letting go anywhere (or leaving the window) stops it.
export class Recorder {
  constructor(camera, collector, { fps = 4, onChange = () => {} } = {}) {
    this.camera = camera;
    this.collector = collector;
    this.every = 1000 / fps;
    this.onChange = onChange;
    this.classId = null;
    this.timer = null;
    this.taken = 0;
    const stop = () => this.stop();
    for (const type of ["pointerup", "pointercancel", "blur"]) window.addEventListener(type, stop);
    window.addEventListener("keyup", (e) => { if (e.key === " " || e.key === "Enter") stop(); });
    document.addEventListener("visibilitychange", stop);
  }

  get recording() {
    return this.classId;
  }

  start(projectId, cls) {
    if (this.classId || !this.camera.on) return;
    this.classId = cls.id;
    this.onChange();
    const shoot = async () => {
      if (this.classId !== cls.id) return;
      const blob = await this.camera.grab().catch(() => null);
      if (!blob || this.classId !== cls.id) return;
      this.taken += 1;
      const name = `${cls.name}-frame-${this.taken}.jpg`;
      // A refused frame (the class is full, the server is busy) ends the recording: the
      // next frames would be refused for the same reason.
      this.collector.add(projectId, cls.id, [{ name, file: blob }], () => this.stop());
    };
    shoot();
    this.timer = setInterval(shoot, this.every);
  }

  stop() {
    if (!this.classId) return;
    clearInterval(this.timer);
    this.classId = null;
    this.timer = null;
    this.onChange();
  }
}

// The files a drop brings: every file of a dropped folder (and its subfolders) where the
// browser gives folders (webkitGetAsEntry), else the dropped files. The entries must be
// taken while the drop event runs, so call this from the handler itself.
export function droppedFiles(dataTransfer) {
  const entries = [...(dataTransfer.items || [])]
    .map((item) => (item.kind === "file" && item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
  if (!entries.length || entries.some((e) => !e)) return Promise.resolve([...dataTransfer.files]);
  return Promise.all(entries.map(walk)).then((lists) => lists.flat());
}

async function walk(entry) {
  if (entry.isFile) return [await new Promise((resolve, reject) => entry.file(resolve, reject))];
  const reader = entry.createReader();
  const children = [];
  // readEntries answers in batches (100 in Chromium) until it answers an empty one.
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    children.push(...batch);
  }
  children.sort((a, b) => a.name.localeCompare(b.name));
  return (await Promise.all(children.map(walk))).flat();
}
