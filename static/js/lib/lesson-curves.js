// What the training lessons read off their measured curves.
// Pure (no DOM): tested with `node --test`.

// The smallest x whose `key` reaches `threshold` (points sorted by x), or null if none does.
export function firstReaching(points, x, key, threshold) {
  const sorted = [...points].sort((a, b) => a[x] - b[x]);
  const hit = sorted.find((p) => p[key] >= threshold);
  return hit ? hit[x] : null;
}

// A learning curve's accuracy at `perClass` photos per class, or null if it was not measured.
export function accuracyAt(points, perClass) {
  const p = points.find((q) => q.per_class === perClass);
  return p ? p.accuracy : null;
}

// Whether a Teach project can have a learning curve: two classes with two photos each at
// least (one to train on, one held out).
export const curveReady = (project) => project.classes.filter((c) => c.count >= 2).length >= 2;
