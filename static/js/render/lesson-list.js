// The lessons in teaching order: one card each (number, title, one sentence), each a link.
import { el } from "../dom.js";
import { lessonLink } from "../lib/lesson-nav.js";

export function renderLessonCards(list, lessons) {
  list.replaceChildren(...lessons.map((lesson, i) => {
    const link = el("a", { href: lessonLink(lesson), className: "lesson-link" }, [
      el("span", { className: "lesson-number", textContent: String(i + 1) }),
      el("strong", { textContent: lesson.title }),
      el("span", { className: "lesson-summary", textContent: lesson.summary }),
    ]);
    link.setAttribute("data-testid", `lesson-card-${lesson.id}`);
    return el("li", {}, link);
  }));
}
