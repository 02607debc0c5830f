// Where a lesson sits in the teaching order. Pure (no DOM): tested with `node --test`.

// The lessons before and after `id` in `list` (null at either end, or for an unknown id).
export function neighbours(list, id) {
  const i = list.findIndex((l) => l.id === id);
  if (i < 0) return { previous: null, next: null, index: -1 };
  return { previous: list[i - 1] || null, next: list[i + 1] || null, index: i };
}

// The in-page link that opens a lesson: "#lesson=<id>" (the API's url is "/#lesson=<id>";
// without the path, following it keeps the page and only changes the hash).
export function lessonLink(lesson) {
  return lesson.url ? lesson.url.replace(/^\/(?=#)/, "") : `#lesson=${encodeURIComponent(lesson.id)}`;
}
