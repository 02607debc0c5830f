"""The lesson list: the catalogue's words with their links and neighbours."""

from __future__ import annotations

from app.core.errors import NotFound
from app.lessons.catalogue import LESSONS, LessonText
from app.lessons.schemas import Lesson, LessonList

IDS = [lesson.id for lesson in LESSONS]


def _lesson(i: int, text: LessonText) -> Lesson:
    return Lesson(
        id=text.id, title=text.title, summary=text.summary, url=f"/#lesson={text.id}",
        text=text.text, try_=text.try_, instrument=text.instrument,
        endpoints=list(text.endpoints), needs_model=text.needs_model,
        previous=IDS[i - 1] if i > 0 else None, next=IDS[i + 1] if i + 1 < len(IDS) else None)


def lesson_list() -> LessonList:
    """Every lesson, in teaching order."""
    return LessonList(lessons=[_lesson(i, t) for i, t in enumerate(LESSONS)])


def lesson(lesson_id: str) -> Lesson:
    """One lesson by id (404 ``not_found`` with the ids that exist)."""
    if lesson_id not in IDS:
        raise NotFound(f"There is no lesson {lesson_id[:40]!r}; the lessons are "
                       f"{', '.join(IDS)}.", lessons=IDS)
    i = IDS.index(lesson_id)
    return _lesson(i, LESSONS[i])
